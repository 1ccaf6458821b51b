/**
 * The WAR's adapters (servlet API, provided by the container): lifecycle listener, API servlet, and
 * the filter that puts the security headers on every answer.
 */
package dev.chat.war;
