/** The WAR's adapters (servlet API, provided by the container): lifecycle listener and API servlet. */
package dev.chat.war;
