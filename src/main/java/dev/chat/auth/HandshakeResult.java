package dev.chat.auth;

import dev.chat.protocol.CloseCode;

/** The verdict on a WebSocket handshake, carried from the configurator to the endpoint's open. */
public sealed interface HandshakeResult {

    /** {@code address} is the client's ({@link ClientAddress}), null when the runtime did not say. */
    record Accepted(Principal principal, String traceId, String address) implements HandshakeResult { }

    /** {@code reason} is for the log and the close frame; it never contains the token. */
    record Rejected(CloseCode code, String reason, String traceId) implements HandshakeResult { }
}
