/** The node's settings: one immutable {@link dev.chat.config.ChatConfig}, read and validated at start. */
package dev.chat.config;
