/**
 * Protocol v1 on the wire: the client and server frame types, their one JSON mapping, and the
 * tables of error and close codes. The WebSocket encoder and decoder that use it live in {@code ws}.
 */
package dev.chat.protocol;
