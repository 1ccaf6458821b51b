/**
 * The jar's runtime (Grizzly + Tyrus, never in the WAR): one listener for the page, the API and
 * {@code /ws} (with {@code CHAT_MANAGEMENT_PORT}, a second server for metrics and health), and the
 * launcher that starts and stops a node.
 */
package dev.chat.embedded;
