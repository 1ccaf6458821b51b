package dev.chat.auth;

import dev.chat.protocol.CloseCode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Decides a WebSocket handshake from its headers, query parameters and peer address: the rate of
 * handshakes from the client's address first (the cheapest check, before any signature is
 * verified), then the Origin (a foreign page gets nothing, whatever token it holds), then the token
 * from {@code Authorization: Bearer} or, for browsers, which cannot set headers, the
 * {@code access_token} query parameter (RFC 6750 §2.3).
 */
public final class HandshakeAuthenticator {
    private static final long SECOND_NANOS = 1_000_000_000L;

    private final JwtTokenVerifier verifier;
    private final OriginPolicy origins;
    private final ClientAddress addresses;
    private final int maxHandshakesPerSecond;
    /** Handshakes per client address in a one-second window; every handshake counts, refused ones too. */
    private final FixedWindows handshakes;

    /** @param nanoClock monotonic nanoseconds ({@code System::nanoTime}; a settable one in tests) */
    public HandshakeAuthenticator(JwtTokenVerifier verifier, OriginPolicy origins, ClientAddress addresses,
                                  int maxHandshakesPerSecond, LongSupplier nanoClock) {
        this.verifier = verifier;
        this.origins = origins;
        this.addresses = addresses;
        this.maxHandshakesPerSecond = maxHandshakesPerSecond;
        this.handshakes = new FixedWindows(maxHandshakesPerSecond, SECOND_NANOS, nanoClock);
    }

    /**
     * @param headers header names in any case, as the runtime gives them
     * @param params  the query parameters
     * @param peer    the TCP peer's address as the runtime adapter saw it ({@link HandshakePeers}); null when unknown,
     *                and then the handshake is limited by the node's and the user's caps only
     */
    public HandshakeResult authenticate(Map<String, List<String>> headers, Map<String, List<String>> params, String peer) {
        String traceId = traceId(header(headers, "traceparent"));
        String address = addresses.resolve(peer, values(headers, "x-forwarded-for"), values(headers, "forwarded"));
        if (address != null && handshakes.take(address) > 0) {
            return new HandshakeResult.Rejected(CloseCode.HANDSHAKE_RATE,
                    "over " + maxHandshakesPerSecond + " handshakes in a second from this address", traceId);
        }
        String origin = header(headers, "origin");
        if (!origins.allows(origin, header(headers, "host"))) {
            return new HandshakeResult.Rejected(CloseCode.ORIGIN_FORBIDDEN, "origin not allowed", traceId);
        }
        String token = bearer(header(headers, "authorization"));
        if (token == null) {
            List<String> values = params.get("access_token");
            token = values == null || values.isEmpty() ? null : values.get(0);
        }
        if (token == null) {
            return new HandshakeResult.Rejected(CloseCode.UNAUTHORIZED, "no token", traceId);
        }
        try {
            return new HandshakeResult.Accepted(verifier.verify(token), traceId, address);
        } catch (TokenRejectedException e) {
            return new HandshakeResult.Rejected(
                    e.expired() ? CloseCode.TOKEN_EXPIRED : e.sessionEnded() ? CloseCode.SESSION_REVOKED : CloseCode.UNAUTHORIZED,
                    e.getMessage(), traceId);
        }
    }

    private static String header(Map<String, List<String>> headers, String name) {
        for (Map.Entry<String, List<String>> e : headers.entrySet()) {
            if (e.getKey() != null && e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) {
                return e.getValue().get(0);
            }
        }
        return null;
    }

    private static List<String> values(Map<String, List<String>> headers, String name) {
        List<String> all = new ArrayList<>();
        for (Map.Entry<String, List<String>> e : headers.entrySet()) {
            if (e.getKey() != null && e.getKey().equalsIgnoreCase(name)) {
                all.addAll(e.getValue());
            }
        }
        return all;
    }

    private static String bearer(String authorization) {
        if (authorization == null || authorization.length() < 7
                || !authorization.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) {
            return null;
        }
        String token = authorization.substring(7).trim();
        return token.isEmpty() ? null : token;
    }

    /** The trace id of a W3C {@code traceparent} ({@code 00-<trace-id>-<parent-id>-<flags>}), or a new one. */
    private static String traceId(String traceparent) {
        if (traceparent != null) {
            String[] parts = traceparent.trim().split("-");
            if (parts.length == 4 && parts[1].matches("[0-9a-f]{32}") && !parts[1].matches("0+")) {
                return parts[1];
            }
        }
        return java.util.UUID.randomUUID().toString().replace("-", "");
    }
}
