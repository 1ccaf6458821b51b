package dev.chat.web;

import dev.chat.auth.ApiKeys;
import dev.chat.auth.UserStoreUnavailableException;
import dev.chat.log.LogSampler;
import dev.chat.log.LogText;
import dev.chat.metrics.ChatMetrics;
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
     * @param object the body as a JSON object; null when there was none or it was not one
     */
    HttpApi.Response handle(String method, String path, String query, Map<String, Object> object, boolean jsonBody, String client,
                            String authorization) {
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
            answer = route(method, List.of(path.substring(PREFIX.length()).split("/", -1)), query, object, jsonBody, key);
        } catch (Messages.Refusal r) {
            answer = error(status(r.code()), r.code(), r.getMessage());
        } catch (StoreUnavailableException | UserStoreUnavailableException e) {
            answer = error(503, ErrorCode.UNAVAILABLE, "the database is unreachable; try again shortly");
        }
        metrics.apiRequest(key, answer.status());
        if (answer.status() >= 500 || "POST".equals(method)) {
            LOG.log(answer.status() >= 500 ? Level.WARNING : Level.INFO, "server API {0} {1} by key {2}: {3}", method,
                    LogText.quote(path), key, Integer.toString(answer.status()));
        }
        return answer;
    }

    private HttpApi.Response route(String method, List<String> p, String query, Map<String, Object> body, boolean jsonBody, String key) {
        if (p.size() == 1 && p.get(0).equals("messages")) {
            return "POST".equals(method) ? withBody(body, jsonBody, b -> postMessage(b, key)) : notAllowed("POST");
        }
        if (p.size() >= 2 && p.get(0).equals("rooms") && !p.get(1).isEmpty()) {
            String room = decode(p.get(1));
            if (p.size() == 2) {
                return "GET".equals(method) ? room(room) : notAllowed("GET");
            }
            if (p.size() == 3 && p.get(2).equals("messages")) {
                return "GET".equals(method) ? history(room, query) : notAllowed("GET");
            }
        }
        if (p.size() >= 2 && p.get(0).equals("users") && !p.get(1).isEmpty()) {
            String user = decode(p.get(1));
            if (p.size() == 2) {
                return "GET".equals(method) ? user(user) : notAllowed("GET");
            }
            if (p.size() == 3 && p.get(2).equals("disconnect")) {
                return "POST".equals(method) ? withBody(body, jsonBody, b -> disconnect(user, b)) : notAllowed("POST");
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
        try {
            posted = admin.post(room, to, from, text, replyTo, idempotencyKey, key).get(COMMIT_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            return error(503, ErrorCode.UNAVAILABLE, "the database is unreachable: the message may not be stored;"
                    + " send it again with the same idempotencyKey shortly");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return error(503, ErrorCode.UNAVAILABLE, "the server is stopping; send the message again with the same idempotencyKey");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        if (posted.room() != null) {
            out.put("room", posted.room());
        } else {
            out.put("to", posted.to());
        }
        out.put("seq", posted.seq());
        out.put("ts", posted.ts());
        // the same key again: the first message's seq, and 200 rather than 201 (nothing new was created)
        return json(posted.duplicate() ? 200 : 201, out);
    }

    private HttpApi.Response room(String room) {
        Administration.RoomView v = admin.room(room);
        if (v == null) {
            return error(404, ErrorCode.NOT_FOUND, "there is no room " + room);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("room", v.room());
        out.put("private", v.isPrivate());
        out.put("owner", v.owner());
        out.put("seq", v.seq());
        out.put("members", v.members());
        out.put("online", v.online());
        return json(200, out);
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
        return json(200, out);
    }

    private HttpApi.Response disconnect(String user, Map<String, Object> b) {
        Object code = b.get("code");
        if (code != null && !(code instanceof Number n && n.intValue() == dev.chat.protocol.CloseCode.SESSION_REVOKED.code())) {
            // other codes would need their reconnect meaning carried to every node: not yet
            return error(400, ErrorCode.BAD_REQUEST, "code may only be " + dev.chat.protocol.CloseCode.SESSION_REVOKED.code() + " for now");
        }
        if (!admin.disconnect(user)) {
            return error(404, ErrorCode.NO_SUCH_USER, "there is no user " + user);
        }
        return json(202, Map.of("user", user, "code", dev.chat.protocol.CloseCode.SESSION_REVOKED.code()));
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
