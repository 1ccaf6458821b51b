package dev.chat.auth;

import dev.chat.protocol.CloseCode;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Decides a WebSocket handshake from its headers and query parameters: the Origin first (a foreign
 * page gets nothing, whatever token it holds), then the token from {@code Authorization: Bearer}
 * or, for browsers, which cannot set headers, the {@code access_token} query parameter (RFC 6750 §2.3).
 */
public final class HandshakeAuthenticator {
    private final JwtTokenVerifier verifier;
    private final OriginPolicy origins;

    public HandshakeAuthenticator(JwtTokenVerifier verifier, OriginPolicy origins) {
        this.verifier = verifier;
        this.origins = origins;
    }

    /**
     * @param headers header names in any case, as the runtime gives them
     * @param params  the query parameters
     */
    public HandshakeResult authenticate(Map<String, List<String>> headers, Map<String, List<String>> params) {
        String traceId = traceId(header(headers, "traceparent"));
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
            return new HandshakeResult.Accepted(verifier.verify(token), traceId);
        } catch (TokenRejectedException e) {
            return new HandshakeResult.Rejected(
                    e.expired() ? CloseCode.TOKEN_EXPIRED : CloseCode.UNAUTHORIZED, e.getMessage(), traceId);
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
