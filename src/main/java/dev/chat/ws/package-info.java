/**
 * The WebSocket adapter on the standard Jakarta API only (Tyrus, Undertow and embedded alike): the
 * endpoint, its decoder and encoder, the configurator that authenticates handshakes, and the
 * session-backed transport.
 */
package dev.chat.ws;
