package dev.chat.protocol;

/**
 * Every close the server initiates, with what a client should do about it. Codes 4000-4499 (and
 * the standard ones marked so) invite a reconnect with backoff; 4500-4999 are terminal: retrying
 * with the same credentials cannot succeed. The README's table and the page (via
 * {@code GET /api/protocol}) read this same table.
 */
public enum CloseCode {
    NORMAL(1000, "normal", false, "Closed on request."),
    GOING_AWAY(1001, "going_away", true, "The server is shutting down or restarting; reconnect with backoff (to another node)."),
    PROTOCOL_ERROR(1002, "protocol_error", false,
            "A frame broke RFC 6455, an unmasked client frame for one (sent by the WebSocket runtime): the client is broken, and retrying would send the same."),
    INVALID_PAYLOAD(1007, "invalid_payload", true, "A text frame was not valid UTF-8 (sent by the WebSocket runtime, RFC 6455 §8.1)."),
    TOO_BIG(1009, "too_big", true, "An inbound frame exceeded CHAT_MAX_FRAME_BYTES (sent by the WebSocket runtime)."),
    INTERNAL_ERROR(1011, "internal_error", true, "Unexpected server error."),
    SLOW_CONSUMER(4001, "slow_consumer", true, "The client did not read fast enough and its outbox overflowed."),
    IDLE_TIMEOUT(4002, "idle_timeout", true, "No frame or pong within CHAT_IDLE_TIMEOUT."),
    FLOODING(4003, "flooding", true, "Kept sending over the rate limit after repeated rate_limited errors."),
    SERVER_FULL(4004, "server_full", true, "The node holds CHAT_MAX_CONNECTIONS already."),
    TOO_MANY_USER_CONNECTIONS(4005, "too_many_user_connections", true,
            "The user holds CHAT_MAX_CONNECTIONS_PER_USER connections on this node already."),
    TOO_MANY_ADDRESS_CONNECTIONS(4006, "too_many_address_connections", true,
            "The client's address holds CHAT_MAX_CONNECTIONS_PER_ADDRESS WebSocket connections on this node already."),
    HANDSHAKE_RATE(4007, "handshake_rate", true,
            "More than CHAT_MAX_HANDSHAKES_PER_ADDRESS_PER_SECOND handshakes from the client's address within a second."),
    UNAUTHORIZED(4500, "unauthorized", false, "Missing, malformed, forged or unknown-user token: log in again."),
    TOKEN_EXPIRED(4501, "token_expired", false, "The token has expired: log in again."),
    ORIGIN_FORBIDDEN(4502, "origin_forbidden", false, "The page's Origin is not allowed to open a WebSocket."),
    SESSION_REVOKED(4503, "session_revoked", false,
            "The token's session was ended (logout, logout everywhere, a password change, a reused refresh token): log in again.");

    private final int code;
    private final String label;
    private final boolean reconnect;
    private final String meaning;

    CloseCode(int code, String label, boolean reconnect, String meaning) {
        this.code = code;
        this.label = label;
        this.reconnect = reconnect;
        this.meaning = meaning;
    }

    public int code() {
        return code;
    }

    /** The table's entry for {@code code}, or null when the table has none. */
    public static CloseCode of(int code) {
        for (CloseCode c : values()) {
            if (c.code == code) {
                return c;
            }
        }
        return null;
    }

    /** The short name sent as the close reason and shown in the README. */
    public String label() {
        return label;
    }

    public boolean reconnect() {
        return reconnect;
    }

    public String meaning() {
        return meaning;
    }
}
