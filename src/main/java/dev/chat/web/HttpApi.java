package dev.chat.web;

import dev.chat.auth.Accounts;
import dev.chat.auth.ClientAddress;
import dev.chat.auth.JwtTokenVerifier;
import dev.chat.auth.LoginThrottle;
import dev.chat.auth.OidcEndpoints;
import dev.chat.auth.OriginPolicy;
import dev.chat.auth.RegistrationThrottle;
import dev.chat.auth.Sessions;
import dev.chat.auth.UserStoreUnavailableException;
import dev.chat.config.ChatConfig;
import dev.chat.log.LogSampler;
import dev.chat.log.LogText;
import dev.chat.metrics.ChatMetrics;
import dev.chat.protocol.CloseCode;
import dev.chat.protocol.ErrorCode;
import dev.chat.protocol.ProtocolCodec;
import dev.chat.protocol.UserName;
import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import jakarta.json.bind.JsonbException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The HTTP API ({@code api/*}) and the operations endpoints ({@code metrics}, {@code health/*}),
 * independent of the runtime: the servlet in the WAR and a Grizzly handler in the jar both hand it
 * the method, the path below the context root and the body, and write back the {@link Response}.
 * API bodies are JSON both ways; errors are {@code {"error":"..."}}; every endpoint is in the OpenAPI
 * document {@code api/openapi.json} serves ({@link OpenApiDocument}). The session endpoints are
 * {@link SessionApi}'s; cookies leave through {@link Response#cookies}, so neither runtime's types appear here.
 */
public final class HttpApi {
    private static final System.Logger LOG = System.getLogger(HttpApi.class.getName());
    private final LogSampler.Kind storeDown;
    private final LogSampler.Kind failed;
    private final LogSampler.Kind loginFailed;
    private final LogSampler.Kind loginThrottled;
    private final LogSampler.Kind registrationThrottled;
    /** Credentials fit in far less; a larger body is refused unread. */
    public static final int MAX_BODY_BYTES = 16 * 1024;

    private final Accounts accounts;
    private final LoginThrottle throttle;
    private final RegistrationThrottle registrations;
    private final OriginPolicy origins;
    private final ClientAddress addresses;
    private final ChatConfig config;
    private final Jsonb jsonb = JsonbBuilder.create();
    private final SessionApi sessionApi;
    /** {@code api/server/*}: the backends' API, behind API keys. */
    private final ServerApi serverApi;
    /** The provider in the page, or null: what {@code api/auth} tells the page. */
    private final OidcEndpoints oidc;

    private final ChatMetrics metrics;
    private final Health health;
    /** SHA-256 of {@code CHAT_METRICS_TOKEN}, or null when {@code metrics} is open. */
    private final byte[] metricsTokenDigest;
    /** {@code api/openapi.json}'s body, read once: the document never changes while the node runs. */
    private final String openApi = OpenApiDocument.load(dev.chat.config.Version.current());

    /** @param health the checks {@code health/*} answers */
    public HttpApi(Accounts accounts, Sessions sessions, JwtTokenVerifier verifier, LoginThrottle throttle,
                   RegistrationThrottle registrations, OriginPolicy origins,
                   ClientAddress addresses, ChatConfig config, ChatMetrics metrics, Health health,
                   LogSampler logs, OidcEndpoints oidc, dev.chat.auth.ApiKeys apiKeys, dev.chat.room.Administration admin) {
        this.oidc = oidc;
        this.serverApi = new ServerApi(apiKeys, admin, metrics, jsonb, logs);
        this.sessionApi = new SessionApi(sessions, accounts, throttle, verifier, metrics, jsonb);
        // anyone can cause these, as often as they like: sampled (metrics count them all)
        this.storeDown = logs.kind("user store unavailable", LOG, Level.WARNING);
        this.failed = logs.kind("api request failed", LOG, Level.ERROR);
        this.loginFailed = logs.kind("login failed", LOG, Level.INFO);
        this.loginThrottled = logs.kind("login throttled", LOG, Level.INFO);
        this.registrationThrottled = logs.kind("registration throttled", LOG, Level.INFO);
        this.origins = origins;
        this.addresses = addresses;
        this.accounts = accounts;
        this.throttle = throttle;
        this.registrations = registrations;
        this.config = config;
        this.metrics = metrics;
        this.health = health;
        this.metricsTokenDigest = config.metricsToken() == null ? null : sha256(config.metricsToken());
    }

    /**
     * A status, a content type, a body, headers of this answer besides {@link #HEADERS}, and the
     * {@code Set-Cookie} values to send (each its own header).
     */
    public record Response(int status, String contentType, String body, Map<String, String> headers, List<String> cookies) {
        public static final String JSON = "application/json; charset=utf-8";

        public Response {
            headers = Map.copyOf(headers);
            cookies = List.copyOf(cookies);
        }

        public Response(int status, String contentType, String body, Map<String, String> headers) {
            this(status, contentType, body, headers, List.of());
        }

        public Response(int status, String contentType, String body) {
            this(status, contentType, body, Map.of());
        }
    }

    /** The paths below the context root that this class answers; each runtime routes them here. */
    public static final List<String> PREFIXES = List.of("/api/*", "/metrics", "/health/*");
    /** Of {@link #PREFIXES}, the operations endpoints: the ones the jar moves to {@code CHAT_MANAGEMENT_PORT}. */
    public static final List<String> OPERATIONS = List.of("/metrics", "/health/*");

    /**
     * @param path the path below the context root, without a leading slash ({@code "api/login"})
     * @param body the request body, at most {@link #MAX_BODY_BYTES}; null when it was larger
     * @param peer the TCP peer's IP address as the runtime sees it (a reverse proxy's, behind one);
     *             null when unknown. The throttles count the client's ({@link ClientAddress}: the peer, or
     *             behind a trusted proxy the address it forwarded)
     * @param from the request's headers that the API reads, and whether it came over HTTPS
     */
    public Response handle(String method, String path, byte[] body, String peer, Headers from) {
        return handle(method, path, null, body, peer, from);
    }

    /**
     * @param path  as the request line has it, still percent-encoded
     * @param query the raw query string, or null
     * @see #handle(String, String, byte[], String, Headers)
     */
    public Response handle(String method, String path, String query, byte[] body, String peer, Headers from) {
        String remoteAddress = addresses.resolve(peer, from.forwardedFor(), from.forwarded());
        if (path.startsWith(ServerApi.PREFIX) && serverApi.enabled()) {
            try {
                return serverApi.handle(method, path, query, body == null ? null : object(body), body != null && body.length == 0,
                        body == null, jsonType(from.contentType()), remoteAddress, from.authorization());
            } catch (RuntimeException e) {
                if (failed.allow()) {
                    LOG.log(Level.ERROR, "server API request failed", e);
                }
                return json(500, Map.of("error", "internal error", "code", ErrorCode.INTERNAL.wire()));
            }
        }
        // Secure cookies behind HTTPS: this request's own scheme, or what a trusted proxy says it was
        boolean secure = from.https() || addresses.forwardedHttps(peer, from.forwardedProto(), from.forwarded());
        try {
            return switch (path) {
                case "api/register" -> post(method, body, from, m -> withCredentials(m, c -> register(c, remoteAddress)));
                case "api/login" -> post(method, body, from, m -> withCredentials(m, c -> login(c, remoteAddress,
                        new SessionApi.Request(m, from, secure))));
                case "api/refresh" -> post(method, body, from, m -> local(() -> sessionApi.refresh(new SessionApi.Request(m, from, secure))));
                case "api/logout" -> post(method, body, from, m -> local(() -> sessionApi.logout(new SessionApi.Request(m, from, secure))));
                case "api/password" -> post(method, body, from, m -> local(() -> sessionApi.password(
                        new SessionApi.Request(m, from, secure), remoteAddress)));
                case "api/protocol" -> get(method, () -> json(200, protocol()));
                case "api/auth" -> get(method, () -> json(200, auth()));
                case "api/openapi.json" -> get(method, () -> new Response(200, Response.JSON, openApi));
                case "metrics" -> get(method, () -> metricsAllowed(from.authorization())
                        ? new Response(200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape())
                        : new Response(401, Response.JSON, jsonb.toJson(Map.of("error", "metrics need Authorization: Bearer <CHAT_METRICS_TOKEN>")),
                                Map.of("WWW-Authenticate", "Bearer realm=\"metrics\"")));
                case "health" -> get(method, () -> health(null));
                case "health/live", "health/ready", "health/started" -> get(method, () -> health(Health.kind(path.substring("health/".length()))));
                default -> notFound();
            };
        } catch (UserStoreUnavailableException e) {
            if (storeDown.allow()) {
                LOG.log(Level.WARNING, "{0}: {1}", path, e.getMessage()); // path: one of the switch's own
            }
            return error(503, "the user store is unavailable; try again shortly");
        } catch (RuntimeException e) {
            if (failed.allow()) {
                LOG.log(Level.ERROR, path + " failed", e);
            }
            return error(500, "internal error");
        }
    }

    /**
     * The answer to a request whose body did not arrive in time; the runtime closes the connection
     * after it (a runtime that times bodies out itself, a servlet container, answers for itself).
     */
    public Response bodyTimedOut() {
        return error(408, "request body not received in time");
    }

    /** The answer to a body the runtime could not decode (a broken chunked encoding); the connection is closed after it. */
    public Response bodyUnreadable() {
        return error(400, "request body could not be read");
    }

    private Response get(String method, java.util.function.Supplier<Response> answer) {
        return "GET".equals(method) ? answer.get() : notAllowed("GET");
    }

    /** MicroProfile Health's answer over the checks of {@code kind} (every check when null). */
    private Response health(Health.Kind kind) {
        Health.Answer answer = health.answer(kind);
        return json(answer.status(), answer.body());
    }

    /** The answer to a path no endpoint has here (the jar's operations endpoints on the chat port beside a management port). */
    public Response notFound() {
        return error(404, "no such endpoint");
    }

    /**
     * Open without {@code CHAT_METRICS_TOKEN}; with it, only to {@code Authorization: Bearer <token>}.
     * The digests are compared, not the strings: equal lengths and {@link MessageDigest#isEqual}, so the
     * time taken says nothing about how much of a guess was right, nor about the token's length.
     */
    private boolean metricsAllowed(String authorization) {
        if (metricsTokenDigest == null) {
            return true;
        }
        String presented = authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                ? authorization.substring(7).trim() : "";
        return MessageDigest.isEqual(metricsTokenDigest, sha256(presented));
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /**
     * What the API asks of a request's headers; each may be null.
     *
     * @param forwardedFor   every {@code X-Forwarded-For} value, in order (believed only from a trusted proxy)
     * @param cookie         the {@code Cookie} header (the session's refresh token)
     * @param authorization  the {@code Authorization} header (a Bearer access token)
     * @param forwardedProto the {@code X-Forwarded-Proto} header (believed only from a trusted proxy)
     * @param https          whether the request itself came over HTTPS
     * @param contextPath    the application's context root ({@code ""} in the jar): the session cookie's path is below it
     * @param forwarded      every RFC 7239 {@code Forwarded} value, in order (believed only from a trusted proxy, and read
     *                       instead of the two {@code X-Forwarded-*} headers only with {@code CHAT_FORWARDED_HEADER=Forwarded})
     */
    public record Headers(String contentType, String origin, String host, List<String> forwardedFor, String cookie,
                          String authorization, String forwardedProto, boolean https, String contextPath, List<String> forwarded) {
        public Headers {
            forwardedFor = forwardedFor == null ? List.of() : List.copyOf(forwardedFor);
            forwarded = forwarded == null ? List.of() : List.copyOf(forwarded);
            contextPath = contextPath == null ? "" : contextPath;
        }

        public Headers(String contentType, String origin, String host, List<String> forwardedFor) {
            this(contentType, origin, host, forwardedFor, null, null, null, false, "", List.of());
        }
    }

    /** Sessions are for local accounts: off with them. */
    private Response local(java.util.function.Supplier<Response> action) {
        return config.localAccounts() ? action.get() : error(403, LOCAL_OFF);
    }

    private Response withCredentials(Map<String, Object> body, java.util.function.Function<Credentials, Response> action) {
        return credentials(body).map(action).orElseGet(() ->
                error(400, "body must be a JSON object with string fields username and password"));
    }

    private Response post(String method, byte[] body, Headers from, java.util.function.Function<Map<String, Object>, Response> action) {
        if (!"POST".equals(method)) {
            return notAllowed("POST");
        }
        // A form or text/plain POST is one any web page may send from its visitors' browsers (with their
        // address: a lockout or a registration in their name); a JSON one needs a preflight we never grant.
        if (!jsonType(from.contentType())) {
            return error(415, "use Content-Type: application/json");
        }
        if (!origins.allows(from.origin(), from.host())) {
            return error(403, "requests from this origin are not allowed");
        }
        if (body == null) {
            return error(413, "body larger than " + MAX_BODY_BYTES + " bytes");
        }
        Map<String, Object> object = object(body);
        return object == null ? error(400, "body must be a JSON object") : action.apply(object);
    }

    private static boolean jsonType(String contentType) {
        return contentType != null && contentType.trim().toLowerCase(java.util.Locale.ROOT).startsWith("application/json");
    }

    /** What a banned user's login and refresh answer (403). */
    static final String BANNED = "this account is banned";

    /** Beside an identity provider local accounts are off unless CHAT_LOCAL_ACCOUNTS=true: one name, one identity. */
    private static final String LOCAL_OFF = "local accounts are off: sign in with the identity provider";

    private Response register(Credentials c, String remoteAddress) {
        if (!config.localAccounts()) {
            return error(403, LOCAL_OFF);
        }
        if (config.registration()) {
            OptionalLong wait = registrations.begin(remoteAddress);
            if (wait.isPresent()) {
                metrics.limitHit("registration_throttled");
                if (registrationThrottled.allow()) {
                    LOG.log(Level.INFO, "registration throttled from {0} for {1} s", remoteAddress, Long.toString(wait.getAsLong()));
                }
                return tooMany("too many registrations from this address; retry after ", wait.getAsLong());
            }
        }
        return switch (accounts.register(c.username(), c.password())) {
            case CREATED -> json(201, Map.of("username", c.username()));
            case TAKEN -> error(409, "username is taken");
            case INVALID_NAME -> error(400, "username must match " + UserName.LOCAL_RULE);
            case INVALID_PASSWORD -> error(400, "password must be " + Accounts.MIN_PASSWORD + " to "
                    + Accounts.MAX_PASSWORD + " characters");
            case CLOSED -> error(403, "registration is disabled");
        };
    }

    /** Throttled before the password is hashed, so refused guesses cost neither time nor CPU. */
    private Response login(Credentials c, String remoteAddress, SessionApi.Request request) {
        if (!config.localAccounts()) {
            return error(403, LOCAL_OFF);
        }
        OptionalLong wait = throttle.begin(c.username(), remoteAddress);
        if (wait.isPresent()) {
            metrics.limitHit("login_throttled");
            if (loginThrottled.allow()) {
                LOG.log(Level.INFO, "login throttled for user {0} from {1} for {2} s", LogText.quote(c.username()), remoteAddress,
                        Long.toString(wait.getAsLong()));
            }
            return tooMany("too many failed logins; retry after ", wait.getAsLong());
        }
        if (!accounts.authenticate(c.username(), c.password())) {
            metrics.loginFailed();
            if (loginFailed.allow()) {
                LOG.log(Level.INFO, "login failed for user {0} from {1}", LogText.quote(c.username()), remoteAddress);
            }
            return error(401, "invalid credentials"); // counted by begin
        }
        throttle.succeeded(c.username(), remoteAddress);
        if (accounts.banned(c.username())) {
            // only after the right password: a guess learns nothing about bans
            return error(403, BANNED);
        }
        return sessionApi.loggedIn(c.username(), request);
    }

    /** 429 with {@code Retry-After}; the body's error is {@code message} and the seconds. */
    private Response tooMany(String message, long seconds) {
        String s = Long.toString(seconds);
        return new Response(429, Response.JSON, jsonb.toJson(Map.of("error", message + s + " s")), Map.of("Retry-After", s));
    }

    private Map<String, Object> protocol() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("protocol", ProtocolCodec.PROTOCOL_VERSION);
        out.put("version", dev.chat.config.Version.current());
        out.put("maxText", config.maxText());
        // the page paces its own sends (a reconnect's resends above all) within the connection's bucket
        out.put("rate", Map.of("perSec", config.ratePerSec(), "burst", config.rateBurst()));
        out.put("closeCodes", Arrays.stream(CloseCode.values()).map(c -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("code", c.code());
            m.put("name", c.label());
            m.put("reconnect", c.reconnect());
            m.put("meaning", c.meaning());
            return m;
        }).toList());
        out.put("errorCodes", Arrays.stream(ErrorCode.values()).map(ErrorCode::wire).toList());
        return out;
    }

    /**
     * How the page signs users in: local accounts or not, and the provider in the page, if any (the
     * endpoints its discovery document named, the public client, the claim that names the user).
     * Nothing here is a secret: a public client has none.
     */
    private Map<String, Object> auth() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("localAccounts", config.localAccounts());
        out.put("registration", config.localAccounts() && config.registration());
        if (oidc != null) {
            Map<String, Object> provider = new LinkedHashMap<>();
            provider.put("name", config.oidcName());
            provider.put("issuer", oidc.issuer().toString());
            provider.put("clientId", config.oidcClientId());
            provider.put("authorizationEndpoint", oidc.authorizationEndpoint().toString());
            provider.put("tokenEndpoint", oidc.tokenEndpoint().toString());
            if (oidc.endSessionEndpoint() != null) {
                provider.put("endSessionEndpoint", oidc.endSessionEndpoint().toString());
            }
            provider.put("userClaim", config.jwtUserClaim());
            out.put("provider", provider);
        }
        return out;
    }

    private record Credentials(String username, String password) { }

    private static Optional<Credentials> credentials(Map<String, Object> m) {
        return m.get("username") instanceof String u && m.get("password") instanceof String p
                ? Optional.of(new Credentials(u, p)) : Optional.empty();
    }

    /** The body as a JSON object with string keys, or null when it is not one. */
    @SuppressWarnings("unchecked")
    private Map<String, Object> object(byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8);
        if (dev.chat.protocol.JsonShape.problem(text) != null) {
            return null; // deep nesting overflowed the parser's stack: an HTML 500 before this check
        }
        try {
            Object parsed = jsonb.fromJson(text, Object.class);
            if (parsed instanceof Map<?, ?> m) {
                return (Map<String, Object>) m;
            }
        } catch (JsonbException | IllegalArgumentException | IllegalStateException | ArithmeticException e) {
            // malformed JSON: answered as a bad request
        }
        return null;
    }

    private Response json(int status, Object body) {
        return new Response(status, Response.JSON, jsonb.toJson(body));
    }

    /** 405 names the method the endpoint has (RFC 9110 §15.5.6: {@code Allow} is required). */
    private Response notAllowed(String allowed) {
        return new Response(405, Response.JSON, jsonb.toJson(Map.of("error", "use " + allowed)), Map.of("Allow", allowed));
    }

    private Response error(int status, String message) {
        return json(status, Map.of("error", message));
    }

    /** Headers every answer carries besides its content type: never cached (tokens), never sniffed. */
    public static final List<Map.Entry<String, String>> HEADERS = List.of(
            Map.entry("Cache-Control", "no-store"),
            Map.entry("X-Content-Type-Options", "nosniff"));
}
