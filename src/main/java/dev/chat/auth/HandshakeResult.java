package dev.chat.auth;

import dev.chat.protocol.CloseCode;

/** The verdict on a WebSocket handshake, carried from the configurator to the endpoint's open. */
public sealed interface HandshakeResult {

    record Accepted(Principal principal, String traceId) implements HandshakeResult { }

    /** {@code reason} is for the log and the close frame; it never contains the token. */
    record Rejected(CloseCode code, String reason, String traceId) implements HandshakeResult { }
}
