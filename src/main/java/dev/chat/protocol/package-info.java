/**
 * Protocol v1 on the wire: the client and server frame types, their one JSON mapping, the
 * WebSocket encoder and decoder, and the tables of error and close codes.
 */
package dev.chat.protocol;
