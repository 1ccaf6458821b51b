/**
 * The jar's runtime (Grizzly + Tyrus, never in the WAR): one listener for the page, the API and
 * {@code /ws}, and the launcher that starts and stops a node.
 */
package dev.chat.embedded;
