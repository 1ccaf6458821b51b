package dev.chat.web;

import dev.chat.auth.Accounts;
import dev.chat.auth.JwtTokenVerifier;
import dev.chat.auth.LoginThrottle;
import dev.chat.auth.Principal;
import dev.chat.auth.SessionStore;
import dev.chat.auth.Sessions;
import dev.chat.auth.TokenRejectedException;
import dev.chat.metrics.ChatMetrics;
import jakarta.json.bind.Jsonb;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The session endpoints of the HTTP API ({@code api/refresh}, {@code api/logout}, {@code api/password})
 * and the session half of {@code api/login}. A browser holds its refresh token in the cookie
 * {@value #COOKIE} ({@code HttpOnly}, {@code SameSite=Strict}, on the API path only, {@code Secure}
 * behind HTTPS); another client asks for it in the body ({@code "refreshToken":true} at login) and
 * sends it back in the body ({@code "refreshToken":"..."}). A request the cookie authenticates must
 * carry an allowed {@code Origin} (a missing one is refused too): only the page itself may use it.
 */
final class SessionApi {
    static final String COOKIE = "chat_refresh";
    private static final String ENDED = "session expired, revoked or reused: log in again";

    private final Sessions sessions;
    private final Accounts accounts;
    private final LoginThrottle throttle;
    private final JwtTokenVerifier verifier;
    private final ChatMetrics metrics;
    private final Jsonb jsonb;

    SessionApi(Sessions sessions, Accounts accounts, LoginThrottle throttle, JwtTokenVerifier verifier, ChatMetrics metrics, Jsonb jsonb) {
        this.sessions = sessions;
        this.accounts = accounts;
        this.throttle = throttle;
        this.verifier = verifier;
        this.metrics = metrics;
        this.jsonb = jsonb;
    }

    /** What a request says about itself that the session endpoints need. */
    record Request(Map<String, Object> body, HttpApi.Headers headers, boolean secure) {
        /** The refresh token of the body, else of the cookie; null when neither has one. */
        String refreshToken() {
            return body.get("refreshToken") instanceof String t ? t : cookie(headers.cookie());
        }

        boolean fromCookie() {
            return !(body.get("refreshToken") instanceof String) && cookie(headers.cookie()) != null;
        }

        /** Whether the client asked for the refresh token in the body rather than a cookie. */
        boolean wantsBody() {
            return Boolean.TRUE.equals(body.get("refreshToken")) || body.get("refreshToken") instanceof String;
        }
    }

    /** The answer to a login whose password was right: a new session. */
    HttpApi.Response loggedIn(String user, Request r) {
        return issued(sessions.start(user), r);
    }

    HttpApi.Response refresh(Request r) {
        HttpApi.Response refused = cookieNeedsOrigin(r);
        if (refused != null) {
            return refused;
        }
        String token = r.refreshToken();
        if (token == null) {
            return error(401, "no refresh token", List.of());
        }
        Sessions.Refresh outcome = sessions.refresh(token);
        if (outcome instanceof Sessions.Refresh.Refreshed ok) {
            // asked after the rotation: a database blip must not cost the user the new token (a retry
            // with the old one would count as reuse and end the session), so unreadable is not banned
            if (accounts.bannedIfReadable(ok.issued().user())) {
                sessions.end(ok.issued().user(), ok.issued().session()); // the rotated token is never handed out
                return error(403, HttpApi.BANNED, r.fromCookie() ? List.of(clearCookie(r)) : List.of());
            }
            return issued(ok.issued(), r);
        }
        return error(401, ENDED, r.fromCookie() ? List.of(clearCookie(r)) : List.of());
    }

    /** Ends the session of the refresh token (or of a Bearer token's {@code sid}); {@code "everywhere":true} every session of its user. */
    HttpApi.Response logout(Request r) {
        HttpApi.Response refused = cookieNeedsOrigin(r);
        if (refused != null) {
            return refused;
        }
        List<String> clear = r.fromCookie() ? List.of(clearCookie(r)) : List.of();
        Optional<Who> who = who(r);
        if (who.isEmpty()) {
            return error(401, ENDED, clear);
        }
        int ended;
        if (Boolean.TRUE.equals(r.body().get("everywhere"))) {
            ended = sessions.endAll(who.get().user(), null, true);
        } else {
            ended = who.get().session() != null && sessions.end(who.get().user(), who.get().session()) ? 1 : 0;
        }
        return json(200, Map.of("sessionsEnded", ended), clear);
    }

    /**
     * {@code {"password","newPassword"}}, authenticated by the session (cookie or Bearer token) and the
     * current password, throttled as logins are; ends every other session of the user.
     */
    HttpApi.Response password(Request r, String remoteAddress) {
        HttpApi.Response refused = cookieNeedsOrigin(r);
        if (refused != null) {
            return refused;
        }
        if (!(r.body().get("password") instanceof String current) || !(r.body().get("newPassword") instanceof String next)) {
            return error(400, "body must be a JSON object with string fields password and newPassword", List.of());
        }
        Optional<Who> who = who(r);
        if (who.isEmpty()) {
            return error(401, ENDED, List.of());
        }
        String user = who.get().user();
        OptionalLong wait = throttle.begin(user, remoteAddress);
        if (wait.isPresent()) {
            metrics.limitHit("login_throttled");
            String s = Long.toString(wait.getAsLong());
            return new HttpApi.Response(429, HttpApi.Response.JSON,
                    jsonb.toJson(Map.of("error", "too many failed logins; retry after " + s + " s")), Map.of("Retry-After", s));
        }
        return switch (accounts.changePassword(user, current, next)) {
            case CHANGED -> {
                throttle.succeeded(user, remoteAddress);
                yield json(200, Map.of("sessionsEnded", sessions.endAll(user, who.get().session(), false)), List.of());
            }
            case WRONG_PASSWORD -> error(403, "the current password is wrong", List.of());
            case INVALID_PASSWORD -> error(400, "password must be " + Accounts.MIN_PASSWORD + " to "
                    + Accounts.MAX_PASSWORD + " characters", List.of());
        };
    }

    /** The user (and session) a request speaks for: its refresh token's session, else its Bearer token's. */
    private record Who(String user, String session) { }

    private Optional<Who> who(Request r) {
        String refresh = r.refreshToken();
        if (refresh != null) {
            return sessions.sessionOf(refresh).map(s -> new Who(s.user(), s.id()));
        }
        String bearer = bearer(r.headers().authorization());
        if (bearer == null) {
            return Optional.empty();
        }
        try {
            Principal p = verifier.verify(bearer);
            return Optional.of(new Who(p.user(), p.session()));
        } catch (TokenRejectedException e) {
            return Optional.empty();
        }
    }

    /** Cookies go with every request a browser makes to the API path: only an allowed Origin may use one. */
    private HttpApi.Response cookieNeedsOrigin(Request r) {
        if (r.fromCookie() && r.headers().origin() == null) {
            return error(403, "a request authenticated by the session cookie must carry an allowed Origin", List.of());
        }
        return null;
    }

    private HttpApi.Response issued(Sessions.Issued issued, Request r) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("token", issued.access().token());
        body.put("expiresIn", issued.access().expiresIn());
        if (r.wantsBody()) {
            body.put("refreshToken", issued.refreshToken());
            body.put("refreshExpiresIn", issued.refreshExpiresIn());
            return json(200, body, List.of());
        }
        return json(200, body, List.of(cookie(issued.refreshToken(), issued.refreshExpiresIn(), r)));
    }

    private static String cookie(String value, long maxAge, Request r) {
        return COOKIE + "=" + value + "; Path=" + apiPath(r) + "; Max-Age=" + maxAge + "; HttpOnly; SameSite=Strict"
                + (r.secure() ? "; Secure" : "");
    }

    private static String clearCookie(Request r) {
        return cookie("", 0, r);
    }

    private static String apiPath(Request r) {
        String context = r.headers().contextPath() == null ? "" : r.headers().contextPath();
        return (context.endsWith("/") ? context.substring(0, context.length() - 1) : context) + "/api";
    }

    /** The value of our cookie in a {@code Cookie} header, or null. */
    static String cookie(String header) {
        if (header == null) {
            return null;
        }
        for (String part : header.split(";")) {
            String p = part.trim();
            if (p.startsWith(COOKIE + "=")) {
                String v = p.substring(COOKIE.length() + 1).trim();
                return v.isEmpty() ? null : v;
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

    private HttpApi.Response json(int status, Object body, List<String> cookies) {
        return new HttpApi.Response(status, HttpApi.Response.JSON, jsonb.toJson(body), Map.of(), cookies);
    }

    private HttpApi.Response error(int status, String message, List<String> cookies) {
        return json(status, Map.of("error", message), cookies);
    }
}
