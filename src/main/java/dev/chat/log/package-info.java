/**
 * How client-supplied text may appear in the log ({@link dev.chat.log.LogText}). Depends on nothing
 * else of the chat, so every package may use it.
 */
package dev.chat.log;
