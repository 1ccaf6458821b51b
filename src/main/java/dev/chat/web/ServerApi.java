package dev.chat.web;

import dev.chat.auth.ApiKeys;
import dev.chat.auth.UserStoreUnavailableException;
import dev.chat.log.LogSampler;
import dev.chat.log.LogText;
import dev.chat.metrics.ChatMetrics;
import dev.chat.protocol.CloseCode;
import dev.chat.protocol.ErrorCode;
import dev.chat.protocol.ProtocolCodec;
import dev.chat.protocol.ServerFrame;
import dev.chat.room.Administration;
import dev.chat.room.Messages;
import dev.chat.store.StoreUnavailableException;
import jakarta.json.bind.Jsonb;
import java.lang.System.Logger.Level;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The server API ({@code api/server/*}): what a backend does with an API key. Every request needs
 * {@code Authorization: Bearer <secret>} of a {@code CHAT_API_KEYS} key, from an allowed address;
 * cookies and user tokens never count. Without keys the API does not exist (404). Answers are
 * JSON; errors are {@code {"error": text, "code": the protocol's error code}}. The HTTP parts are
 * here, what they do is {@link Administration}'s.
 */
final class ServerApi {
    private static final System.Logger LOG = System.getLogger(ServerApi.class.getName());
    static final String PREFIX = "api/server/";
    /** A commit takes milliseconds; past this the database is in trouble and the caller retries with its key. */
    private static final long COMMIT_WAIT_SECONDS = 10;
    /** {@code POST messages} waiting for their commit at once, at most; more answer 429. */
    static final int MAX_WAITING = 4;
    private final java.util.concurrent.Semaphore waiting = new java.util.concurrent.Semaphore(MAX_WAITING);

    private final ApiKeys keys;
    private final Administration admin;
    private final ChatMetrics metrics;
    private final Jsonb jsonb;
    private final LogSampler.Kind refused;

    ServerApi(ApiKeys keys, Administration admin, ChatMetrics metrics, Jsonb jsonb, LogSampler logs) {
        this.keys = keys;
        this.admin = admin;
        this.metrics = metrics;
        this.jsonb = jsonb;
        // anyone who can reach the port can cause this line: sampled (the metric counts all)
        this.refused = logs.kind("server api key refused", LOG, Level.WARNING);
    }

    boolean enabled() {
        return keys.enabled();
    }

    /**
     * @param path   below the context root, starting with {@link #PREFIX}
     * @param query  the raw query string, or null
     * @param client the client's address (after the trusted proxies)
     * @param object   the body as a JSON object; null when there was none or it was not one
     * @param empty    whether the request had no body at all
     * @param oversize whether the body was over {@link HttpApi#MAX_BODY_BYTES} (and not read)
     */
    HttpApi.Response handle(String method, String path, String query, Map<String, Object> object, boolean empty, boolean oversize,
                            boolean jsonBody, String client, String authorization) {
        if (!keys.allows(client)) {
            metrics.apiRequest(null, 403);
            return error(403, ErrorCode.FORBIDDEN, "the server API does not answer this address");
        }
        String key = keys.keyOf(authorization);
        if (key == null) {
            metrics.apiRequest(null, 401);
            if (refused.allow()) {
                LOG.log(Level.WARNING, "server API request without a valid key from {0}", client);
            }
            return new HttpApi.Response(401, HttpApi.Response.JSON, jsonb.toJson(Map.of("error",
                    "use Authorization: Bearer <the secret of a CHAT_API_KEYS key>", "code", ErrorCode.UNAUTHORIZED.wire())),
                    Map.of("WWW-Authenticate", "Bearer realm=\"chat server api\""));
        }
        HttpApi.Response answer;
        try {
            answer = oversize ? error(413, ErrorCode.TOO_LARGE, "body larger than " + HttpApi.MAX_BODY_BYTES + " bytes")
                    : route(method, List.of(path.substring(PREFIX.length()).split("/", -1)), query, object, empty, jsonBody, key);
        } catch (Messages.Refusal r) {
            answer = error(status(r.code()), r.code(), r.getMessage());
        } catch (StoreUnavailableException | UserStoreUnavailableException e) {
            answer = error(503, ErrorCode.UNAVAILABLE, "the database is unreachable; try again shortly");
        } catch (RuntimeException e) {
            metrics.apiRequest(key, 500);
            throw e;
        }
        metrics.apiRequest(key, answer.status());
        if (answer.status() >= 500 || !"GET".equals(method)) { // every change a backend makes: an audit line
            LOG.log(answer.status() >= 500 ? Level.WARNING : Level.INFO, "server API {0} {1} by key {2}: {3}", method,
                    LogText.quote(path), key, Integer.toString(answer.status()));
        }
        return answer;
    }

    private HttpApi.Response route(String method, List<String> p, String query, Map<String, Object> body, boolean empty, boolean jsonBody,
                                   String key) {
        if (p.size() == 1 && p.get(0).equals("messages")) {
            return "POST".equals(method) ? withBody(body, jsonBody, b -> postMessage(b, key)) : notAllowed("POST");
        }
        if (p.size() == 1 && p.get(0).equals("rooms")) {
            return "POST".equals(method) ? withBody(body, jsonBody, this::createRoom) : notAllowed("POST");
        }
        if (p.size() >= 2 && p.get(0).equals("rooms") && !p.get(1).isEmpty()) {
            String room = decode(p.get(1));
            if (p.size() == 2) {
                return "GET".equals(method) ? room(room) : notAllowed("GET");
            }
            if (p.size() == 3 && p.get(2).equals("messages")) {
                return "GET".equals(method) ? history(room, query) : notAllowed("GET");
            }
            if (p.size() == 3 && p.get(2).equals("members")) {
                return "POST".equals(method) ? withBody(body, jsonBody, b -> addMember(room, b)) : notAllowed("POST");
            }
            if (p.size() == 4 && p.get(2).equals("members") && !p.get(3).isEmpty()) {
                String user = decode(p.get(3));
                return "DELETE".equals(method) ? removeMember(room, user, key) : notAllowed("DELETE");
            }
        }
        if (p.size() >= 2 && p.get(0).equals("users") && !p.get(1).isEmpty()) {
            String user = decode(p.get(1));
            if (p.size() == 2) {
                return "GET".equals(method) ? user(user) : notAllowed("GET");
            }
            if (p.size() == 3 && p.get(2).equals("disconnect")) {
                // the body is optional: a bare POST is a disconnect with the default code
                return !"POST".equals(method) ? notAllowed("POST") : empty ? disconnect(user, Map.of())
                        : withBody(body, jsonBody, b -> disconnect(user, b));
            }
            if (p.size() == 3 && p.get(2).equals("ban")) {
                return switch (method) {
                    case "POST" -> ban(user, true, key);
                    case "DELETE" -> ban(user, false, key);
                    default -> notAllowed("POST, DELETE");
                };
            }
        }
        return error(404, ErrorCode.NOT_FOUND, "no such endpoint of the server API");
    }

    private HttpApi.Response postMessage(Map<String, Object> b, String key) {
        String room = string(b, "room");
        String to = string(b, "to");
        String from = string(b, "from");
        String text = string(b, "text");
        String idempotencyKey = string(b, "idempotencyKey");
        Long replyTo = seq(b, "replyTo");
        Administration.Posted posted;
        // the answer waits for the commit on this (the runtime's HTTP) thread: only a few at once, so a
        // stalled database cannot take every worker of the node (its WebSockets share them in the jar)
        if (!waiting.tryAcquire()) {
            return new HttpApi.Response(429, HttpApi.Response.JSON, jsonb.toJson(Map.of("error", MAX_WAITING
                    + " messages of the server API wait for the database already; retry shortly", "code", ErrorCode.RATE_LIMITED.wire())),
                    Map.of("Retry-After", "1"));
        }
        try {
            posted = admin.post(room, to, from, text, replyTo, idempotencyKey, key).get(COMMIT_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            return error(503, ErrorCode.UNAVAILABLE, "the database is unreachable: the message may not be stored;"
                    + " send it again with the same idempotencyKey shortly");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return error(503, ErrorCode.UNAVAILABLE, "the server is stopping; send the message again with the same idempotencyKey");
        } finally {
            waiting.release();
        }
        Map<String, Object> out = new LinkedHashMap<>();
        if (posted.room() != null) {
            out.put("room", posted.room());
        } else {
            out.put("to", posted.to());
        }
        out.put("seq", posted.seq());
        out.put("ts", posted.ts());
        // the same key again answers as the first time did: 201 with the first message's seq
        return json(201, out);
    }

    /** {@code {"room","private"?,"owner","members"?}} → 201 and the room as {@code GET rooms/{room}} shows it. */
    private HttpApi.Response createRoom(Map<String, Object> b) {
        Object isPrivate = b.get("private");
        if (isPrivate != null && !(isPrivate instanceof Boolean)) {
            throw new Messages.Refusal(ErrorCode.BAD_REQUEST, "private must be true or false");
        }
        Object members = b.get("members");
        List<String> names = new java.util.ArrayList<>();
        if (members != null) {
            if (!(members instanceof List<?> list) || list.size() > MAX_MEMBERS_AT_CREATE || list.stream().anyMatch(m -> !(m instanceof String))) {
                throw new Messages.Refusal(ErrorCode.BAD_REQUEST, "members must be a list of at most " + MAX_MEMBERS_AT_CREATE + " user names");
            }
            list.forEach(m -> names.add((String) m));
        }
        return json(201, view(admin.createRoom(string(b, "room"), Boolean.TRUE.equals(isPrivate), string(b, "owner"), names)));
    }

    /** Members named at a room's creation, at most: a body of 16 KiB holds about this many names anyway. */
    static final int MAX_MEMBERS_AT_CREATE = 1000;

    private HttpApi.Response addMember(String room, Map<String, Object> b) {
        String user = string(b, "user");
        if (user == null) {
            throw new Messages.Refusal(ErrorCode.BAD_REQUEST, "user must be a user name");
        }
        boolean added = admin.addMember(room, user);
        return json(added ? 201 : 200, Map.of("room", room, "user", user));
    }

    private HttpApi.Response removeMember(String room, String user, String key) {
        admin.removeMember(room, user, "api:" + key);
        return json(200, Map.of("room", room, "user", user));
    }

    private HttpApi.Response room(String room) {
        Administration.RoomView v = admin.room(room);
        if (v == null) {
            return error(404, ErrorCode.NOT_FOUND, "there is no room " + room);
        }
        return json(200, view(v));
    }

    private static Map<String, Object> view(Administration.RoomView v) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("room", v.room());
        out.put("private", v.isPrivate());
        out.put("owner", v.owner());
        out.put("seq", v.seq());
        out.put("members", v.members());
        out.put("online", v.online());
        return out;
    }

    private HttpApi.Response history(String room, String query) {
        if (admin.room(room) == null) {
            return error(404, ErrorCode.NOT_FOUND, "there is no room " + room);
        }
        Map<String, String> q = query(query);
        Long before;
        int limit;
        try {
            before = q.containsKey("before") ? Long.valueOf(q.get("before")) : null;
            limit = q.containsKey("limit") ? Integer.parseInt(q.get("limit")) : ProtocolCodec.DEFAULT_HISTORY_LIMIT;
        } catch (NumberFormatException e) {
            return error(400, ErrorCode.BAD_REQUEST, "before and limit must be whole numbers");
        }
        if (before != null && before < 1 || limit < 1 || limit > ProtocolCodec.MAX_HISTORY_LIMIT) {
            return error(400, ErrorCode.BAD_REQUEST, "before must be a seq of 1 or more, limit 1 to " + ProtocolCodec.MAX_HISTORY_LIMIT);
        }
        StringBuilder messages = new StringBuilder();
        for (ServerFrame f : admin.history(room, before, limit)) {
            messages.append(messages.isEmpty() ? "" : ",").append(ProtocolCodec.encode(f).json());
        }
        // the protocol's own objects, as its codec writes them (not a second JSON mapping)
        return new HttpApi.Response(200, HttpApi.Response.JSON, "{\"room\":" + jsonb.toJson(room) + ",\"messages\":[" + messages + "]}");
    }

    private HttpApi.Response user(String user) {
        Administration.UserView v = admin.user(user);
        if (v == null) {
            return error(404, ErrorCode.NO_SUCH_USER, "there is no user " + user);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("user", v.user());
        out.put("online", v.online());
        out.put("rooms", v.rooms());
        out.put("banned", v.banned());
        return json(200, out);
    }

    /** {@code {"code"?}}: one of the close-code table's codes (its reconnect meaning is the page's cue); default 4503. */
    private HttpApi.Response disconnect(String user, Map<String, Object> b) {
        Object asked = b.get("code");
        CloseCode code = CloseCode.SESSION_REVOKED;
        if (asked != null) {
            code = asked instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && Math.abs(n.doubleValue()) < 1e6
                    ? CloseCode.of(n.intValue()) : null;
            if (code == null) {
                return error(400, ErrorCode.BAD_REQUEST, "code must be one of the close codes of api/protocol");
            }
        }
        if (!admin.disconnect(user, code.code())) {
            return error(404, ErrorCode.NO_SUCH_USER, "there is no user " + user);
        }
        return json(202, Map.of("user", user, "code", code.code()));
    }

    /** A ban needs no body (none is read); the same call twice is the same state, answered alike. */
    private HttpApi.Response ban(String user, boolean banned, String key) {
        if (!admin.ban(user, banned, key)) {
            return error(404, ErrorCode.NO_SUCH_USER, "not a user name: " + user);
        }
        return json(200, Map.of("user", user, "banned", banned));
    }

    private HttpApi.Response withBody(Map<String, Object> body, boolean jsonBody, java.util.function.Function<Map<String, Object>, HttpApi.Response> action) {
        if (!jsonBody) {
            return error(415, ErrorCode.BAD_REQUEST, "use Content-Type: application/json");
        }
        return body == null ? error(400, ErrorCode.BAD_REQUEST, "body must be a JSON object") : action.apply(body);
    }

    private static String string(Map<String, Object> b, String field) {
        Object v = b.get(field);
        if (v != null && !(v instanceof String)) {
            throw new Messages.Refusal(ErrorCode.BAD_REQUEST, field + " must be a string");
        }
        return (String) v;
    }

    private static Long seq(Map<String, Object> b, String field) {
        Object v = b.get(field);
        if (v == null) {
            return null;
        }
        if (v instanceof Number n && n.doubleValue() >= 1 && n.doubleValue() == Math.floor(n.doubleValue()) && n.doubleValue() < 1e15) {
            return n.longValue();
        }
        throw new Messages.Refusal(ErrorCode.BAD_REQUEST, field + " must be a seq (a whole number of 1 or more)");
    }

    private static Map<String, String> query(String query) {
        Map<String, String> out = new LinkedHashMap<>();
        if (query != null) {
            for (String pair : query.split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    out.putIfAbsent(decode(pair.substring(0, eq)), decode(pair.substring(eq + 1)));
                }
            }
        }
        return out;
    }

    /** A path segment or query part; the runtimes hand the path over still percent-encoded. */
    private static String decode(String s) {
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new Messages.Refusal(ErrorCode.BAD_REQUEST, "malformed percent-encoding in the path");
        }
    }

    /** The HTTP status of a protocol error code. */
    static int status(ErrorCode code) {
        return switch (code) {
            case NOT_FOUND, NO_SUCH_USER -> 404;
            case FORBIDDEN -> 403;
            case UNAUTHORIZED -> 401;
            case TOO_LARGE -> 413;
            case RATE_LIMITED -> 429;
            case UNAVAILABLE -> 503;
            case INTERNAL -> 500;
            case ROOM_EXISTS -> 409;
            default -> 400;
        };
    }

    private HttpApi.Response notAllowed(String method) {
        return new HttpApi.Response(405, HttpApi.Response.JSON, jsonb.toJson(Map.of("error", "use " + method,
                "code", ErrorCode.BAD_REQUEST.wire())), Map.of("Allow", method));
    }

    private HttpApi.Response json(int status, Object body) {
        return new HttpApi.Response(status, HttpApi.Response.JSON, jsonb.toJson(body));
    }

    private HttpApi.Response error(int status, ErrorCode code, String message) {
        return json(status, Map.of("error", message, "code", code.wire()));
    }
}
