package dev.chat.protocol;

import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import jakarta.json.bind.JsonbException;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The one JSON mapping of protocol v1 (JSON-B). Stateless and thread-safe: the WebSocket
 * {@code ClientFrameDecoder} and {@code ServerFrameEncoder} (package {@code ws}), the outbox and the tests all go
 * through it, so the wire format has exactly one definition.
 */
public final class ProtocolCodec {
    public static final int PROTOCOL_VERSION = 1;
    public static final Pattern ROOM_NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    public static final int MAX_ID_LENGTH = 64;

    /** JSON-B instances are thread-safe and costly to build: one per class loader. */
    private static final Jsonb JSONB = JsonbBuilder.create();

    private ProtocolCodec() {
    }

    public static EncodedFrame encode(ServerFrame frame) {
        return EncodedFrame.of(JSONB.toJson(frame));
    }

    /** A message (or a change of one) accepted at {@code acceptedNanos} ({@link System#nanoTime}), for the delivery latency. */
    public static EncodedFrame encode(ServerFrame message, long acceptedNanos) {
        return EncodedFrame.message(JSONB.toJson(message), acceptedNanos);
    }

    /** Every client frame type the protocol has, and {@code invalid} for a frame that is none of them (metrics label them). */
    public static final java.util.List<String> CLIENT_TYPES = java.util.List.of(
            "join", "leave", "send", "history", "typing", "create", "invite", "kick", "refresh", "rooms", "read",
            "edit", "delete", "react", "invalid");

    /** A reaction's emoji, in code points at most (a flag or a family with its joiners fits). */
    public static final int MAX_EMOJI_CODE_POINTS = 16;

    /** Decodes one client frame; never throws: anything that is not a valid request is {@link ClientFrame.Invalid}. */
    public static ClientFrame decode(String text) {
        String shape = JsonShape.problem(text, JsonShape.MAX_FRAME_VALUES);
        if (shape != null) {
            return invalid(shape, null);
        }
        Map<?, ?> map;
        try {
            Object parsed = JSONB.fromJson(text, Object.class);
            if (!(parsed instanceof Map<?, ?> m)) {
                return invalid("a frame must be one JSON object", null);
            }
            map = m;
        } catch (JsonbException | IllegalArgumentException | IllegalStateException | ArithmeticException e) {
            // Parsson's own limits (nesting depth, number size) surface as these too
            return invalid("malformed JSON", null);
        }
        Object rawId = map.get("id");
        String id = rawId instanceof String s && s.length() <= MAX_ID_LENGTH ? s : null;
        if (rawId != null && id == null) {
            return invalid("id must be a string of at most " + MAX_ID_LENGTH + " characters", null);
        }
        if (!(map.get("type") instanceof String type)) {
            return invalid("type must be a string", id);
        }
        return switch (type) {
            case "join" -> join(map, id);
            case "leave" -> room(map, id, r -> new ClientFrame.Leave(r, id));
            case "send" -> send(map, id);
            case "history" -> history(map, id);
            case "typing" -> room(map, id, r -> new ClientFrame.Typing(r, id));
            case "create" -> create(map, id);
            case "invite" -> room(map, id, r -> user(map, "user", id, u -> new ClientFrame.Invite(r, u, id)));
            case "kick" -> room(map, id, r -> user(map, "user", id, u -> new ClientFrame.Kick(r, u, id)));
            case "refresh" -> refresh(map, id);
            case "rooms" -> new ClientFrame.Rooms(id);
            case "read" -> read(map, id);
            case "edit", "delete", "react" -> change(type, map, id);
            default -> new ClientFrame.Invalid(ErrorCode.UNKNOWN_TYPE, "unknown type: " + abbreviate(type), id);
        };
    }

    private static ClientFrame room(Map<?, ?> map, String id, java.util.function.Function<String, ClientFrame> make) {
        Object room = map.get("room");
        if (!(room instanceof String r) || !ROOM_NAME.matcher(r).matches()) {
            return invalid("room must be a string matching ^[A-Za-z0-9_-]{1,64}$", id);
        }
        return make.apply(r);
    }

    /** Largest page a {@code history} request may ask for. */
    public static final int MAX_HISTORY_LIMIT = 200;
    public static final int DEFAULT_HISTORY_LIMIT = 50;

    private static ClientFrame join(Map<?, ?> map, String id) {
        Object since = map.get("since");
        Long s = since == null ? null : seq(since);
        if (since != null && s == null) {
            return invalid("since must be a whole number of at least 0", id);
        }
        return room(map, id, r -> new ClientFrame.Join(r, s, id));
    }

    /** A user named in a frame ({@code to}, {@code with}, {@code user}): any valid name, see {@link UserName}. */
    private static ClientFrame user(Map<?, ?> map, String field, String id, java.util.function.Function<String, ClientFrame> make) {
        if (!(map.get(field) instanceof String u)) {
            return invalid(field + " must be a user name: " + UserName.RULE, id);
        }
        String problem = UserName.problem(u);
        if (problem != null) {
            return invalid(field + " must be a user name (" + UserName.RULE + "): it " + problem, id);
        }
        return make.apply(u);
    }

    private static ClientFrame create(Map<?, ?> map, String id) {
        Object priv = map.get("private");
        if (priv != null && !(priv instanceof Boolean)) {
            return invalid("private must be true or false", id);
        }
        return room(map, id, r -> new ClientFrame.Create(r, Boolean.TRUE.equals(priv), id));
    }

    private static ClientFrame history(Map<?, ?> map, String id) {
        Object before = map.get("before");
        Long b = before == null ? null : seq(before);
        if (before != null && (b == null || b < 1)) {
            return invalid("before must be a whole number of at least 1", id);
        }
        Object limit = map.get("limit");
        Long l = limit == null ? Long.valueOf(DEFAULT_HISTORY_LIMIT) : seq(limit);
        if (l == null || l < 1 || l > MAX_HISTORY_LIMIT) {
            return invalid("limit must be a whole number from 1 to " + MAX_HISTORY_LIMIT, id);
        }
        if (map.containsKey("with")) {
            return user(map, "with", id, w -> new ClientFrame.DirectHistory(w, b, l.intValue(), id));
        }
        return room(map, id, r -> new ClientFrame.History(r, b, l.intValue(), id));
    }

    /** A JSON number that is a whole seq (0 to Long.MAX_VALUE), or null. */
    private static Long seq(Object value) {
        if (!(value instanceof java.math.BigDecimal d) || d.signum() < 0) {
            return null;
        }
        try {
            return d.longValueExact();
        } catch (ArithmeticException e) {
            return null;
        }
    }

    private static ClientFrame send(Map<?, ?> map, String id) {
        Object text = map.get("text");
        if (!(text instanceof String t) || t.isEmpty()) {
            return invalid("text must be a non-empty string", id);
        }
        Long replyTo = null;
        if (map.get("replyTo") != null) {
            replyTo = seq(map.get("replyTo"));
            if (replyTo == null || replyTo == 0) {
                return invalid("replyTo must be the seq of a message (a whole number of at least 1)", id);
            }
        }
        Long reply = replyTo;
        if (map.containsKey("to")) {
            return user(map, "to", id, to -> new ClientFrame.Direct(to, t, reply, id));
        }
        return room(map, id, r -> new ClientFrame.Send(r, t, reply, id));
    }

    /** {@code edit}, {@code delete} and {@code react}: a target seq in a room or the conversation {@code with} a user. */
    private static ClientFrame change(String kind, Map<?, ?> map, String id) {
        Long target = map.get("target") == null ? null : seq(map.get("target"));
        if (target == null || target == 0) {
            return invalid("target must be the seq of a message (a whole number of at least 1)", id);
        }
        String text = null;
        if (kind.equals("edit")) {
            if (!(map.get("text") instanceof String t) || t.isEmpty()) {
                return invalid("text must be a non-empty string", id);
            }
            text = t;
        }
        String emoji = null;
        if (kind.equals("react")) {
            if (!(map.get("emoji") instanceof String e) || e.isEmpty() || e.codePointCount(0, e.length()) > MAX_EMOJI_CODE_POINTS
                    || e.codePoints().anyMatch(cp -> Character.isWhitespace(cp) || Character.isISOControl(cp))) {
                return invalid("emoji must be 1 to " + MAX_EMOJI_CODE_POINTS + " code points, without spaces or control characters", id);
            }
            emoji = e;
        }
        String t = text;
        String e = emoji;
        if (map.containsKey("with")) {
            if (map.containsKey("room")) {
                return invalid(kind + " names a room or a user (with), not both", id);
            }
            return user(map, "with", id, w -> new ClientFrame.Change(kind, null, w, target, t, e, id));
        }
        return room(map, id, r -> new ClientFrame.Change(kind, r, null, target, t, e, id));
    }

    private static ClientFrame read(Map<?, ?> map, String id) {
        Object seq = map.get("seq");
        Long s = seq == null ? null : seq(seq);
        if (s == null) {
            return invalid("seq must be a whole number of at least 0", id);
        }
        if (map.containsKey("with")) {
            if (map.containsKey("room")) {
                return invalid("read names a room or a user (with), not both", id);
            }
            return user(map, "with", id, w -> new ClientFrame.Read(null, w, s, id));
        }
        return room(map, id, r -> new ClientFrame.Read(r, null, s, id));
    }

    /** Longer than any real token; the verifier refuses it anyway, this keeps it out of memory sooner. */
    public static final int MAX_TOKEN_LENGTH = 8192;

    private static ClientFrame refresh(Map<?, ?> map, String id) {
        Object token = map.get("token");
        if (!(token instanceof String t) || t.isEmpty() || t.length() > MAX_TOKEN_LENGTH) {
            return invalid("token must be a non-empty string of at most " + MAX_TOKEN_LENGTH + " characters", id);
        }
        return new ClientFrame.Refresh(t, id);
    }

    private static ClientFrame.Invalid invalid(String message, String id) {
        return new ClientFrame.Invalid(ErrorCode.BAD_REQUEST, message, id);
    }

    private static String abbreviate(String s) {
        return s.length() <= 32 ? s : s.substring(0, 32) + "...";
    }
}
