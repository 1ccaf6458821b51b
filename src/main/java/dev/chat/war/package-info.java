/**
 * The WAR's adapters (servlet API, provided by the container): lifecycle listener, API servlet, the
 * filter that puts the security headers on every answer, and the request listener that records each
 * handshake's peer address for the per-address limits.
 */
package dev.chat.war;
