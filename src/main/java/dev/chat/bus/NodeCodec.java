package dev.chat.bus;

import dev.chat.event.RoomEvent;
import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import jakarta.json.bind.JsonbException;
import jakarta.json.bind.annotation.JsonbPropertyOrder;

/**
 * The one wire format of what nodes exchange over the bus: every {@link RoomEvent} as one JSON
 * object with a kind {@code k} ({@code m} message, {@code p} presence, {@code t} typing, {@code i}
 * invitation, {@code x} kick, {@code tip} a room's latest seq, {@code s} sessions ended, {@code j} a membership
 * change, {@code r} a read position), through one JSON-B mapping, so any
 * text is escaped and no field can forge another. Golden files in
 * {@code src/test/resources/golden/node/} pin it. Decoding never throws.
 */
public final class NodeCodec {
    private static final Jsonb JSONB = JsonbBuilder.create();

    private NodeCodec() {
    }

    /**
     * The flat wire form; absent fields are null and left out. {@code acc} is the accepting node's
     * {@link System#nanoTime}, meaningful only to that node ({@code node}).
     */
    @JsonbPropertyOrder({"k", "room", "seq", "from", "text", "id", "ts", "user", "state", "by", "origin", "trace", "node", "acc", "sids", "all",
            "unread", "mentions", "kind", "target", "reply", "emoji", "on", "at"})
    public record Wire(String k, String room, Long seq, String from, String text, String id, String origin,
                       String trace, String ts, String node, Long acc, String user, String state, String by,
                       java.util.List<String> sids, Boolean all, Long unread, Long mentions,
                       String kind, Long target, Long reply, String emoji, Boolean on, java.util.List<String> at, Integer code) { }

    /** A room event's wire form: none of the fields of sessions, reads or message details (one constructor: JSON-B builds it). */
    private static Wire wire(String k, String room, Long seq, String from, String text, String id, String origin,
                             String trace, String ts, String node, Long acc, String user, String state, String by) {
        return new Wire(k, room, seq, from, text, id, origin, trace, ts, node, acc, user, state, by, null, null, null, null,
                null, null, null, null, null, null, null);
    }

    /** A message or change: what a plain message does not have is left out ({@code kind} of a message included). */
    private static Wire posted(RoomEvent.Posted p, String nodeId) {
        RoomEvent.Detail d = p.detail();
        if (d == null) {
            return wire("m", p.room(), p.seq(), p.from(), p.text(), p.clientId(), p.originConnection(), p.originTrace(),
                    p.isoTs(), nodeId, p.acceptedNanos(), null, null, null);
        }
        return new Wire("m", p.room(), p.seq(), p.from(), p.text(), p.clientId(), p.originConnection(), p.originTrace(),
                p.isoTs(), nodeId, p.acceptedNanos(), null, null, null, null, null, null, null,
                RoomEvent.Detail.MESSAGE.equals(d.kind()) ? null : d.kind(), d.target() == 0 ? null : d.target(), d.replyTo(),
                d.emoji(), d.on(), d.mentions(), null);
    }

    /** The detail of a decoded message or change; null when it had none, or one that makes no sense (the event is then dropped). */
    private static RoomEvent.Detail detail(Wire w) {
        String kind = w.kind() == null ? RoomEvent.Detail.MESSAGE : w.kind();
        boolean change = !RoomEvent.Detail.MESSAGE.equals(kind);
        if (!change && w.target() == null && w.reply() == null && w.emoji() == null && w.on() == null && w.at() == null) {
            return RoomEvent.Detail.NONE;
        }
        boolean known = switch (kind) {
            case RoomEvent.Detail.MESSAGE -> w.target() == null;
            case RoomEvent.Detail.EDIT, RoomEvent.Detail.DELETE -> w.target() != null;
            case RoomEvent.Detail.REACT -> w.target() != null && w.emoji() != null && w.on() != null;
            default -> false;
        };
        if (!known || w.at() != null && w.at().stream().anyMatch(java.util.Objects::isNull)) {
            return null;
        }
        return new RoomEvent.Detail(kind, w.target() == null ? 0 : w.target(), w.reply(), w.emoji(), w.on(), w.at(), null, false, null);
    }

    private static RoomEvent.Posted posted(Wire w, String nodeId, long arrivedNanos) {
        if (w.seq() == null || w.from() == null || w.text() == null || millis(w.ts()) == null) {
            return null;
        }
        RoomEvent.Detail d = detail(w);
        if (d == null) {
            return null;
        }
        RoomEvent.Posted p = new RoomEvent.Posted(w.room(), w.from(), w.text(), w.id(), w.origin(), w.trace(), w.seq(), millis(w.ts()),
                nodeId.equals(w.node()) && w.acc() != null ? w.acc() : arrivedNanos);
        return d == RoomEvent.Detail.NONE ? p : p.withDetail(d);
    }

    /** The event as the bus carries it; {@code nodeId} is the publishing node. */
    public static String encode(RoomEvent event, String nodeId) {
        Wire w;
        if (event instanceof RoomEvent.Posted p) {
            w = posted(p, nodeId);
        } else if (event instanceof RoomEvent.PresenceChanged p) {
            w = wire("p", p.room(), null, null, null, null, null, null, null, null, null, p.user(), p.state(), null);
        } else if (event instanceof RoomEvent.Typing t) {
            w = wire("t", t.room(), null, null, null, null, null, null, null, null, null, t.user(), null, null);
        } else if (event instanceof RoomEvent.Invitation i) {
            w = wire("i", i.room(), null, i.from(), null, null, null, null, null, null, null, i.user(), null, null);
        } else if (event instanceof RoomEvent.Kicked x) {
            w = wire("x", x.room(), null, null, null, null, null, null, null, null, null, x.user(), null, x.by());
        } else if (event instanceof RoomEvent.SessionsEnded e) {
            w = new Wire("s", null, null, null, null, null, null, null, null, null, null, e.user(), null, null, e.sessions(), e.all(),
                    null, null, null, null, null, null, null, null, e.code());
        } else if (event instanceof RoomEvent.Membership m) {
            w = wire("j", m.room(), null, null, null, null, m.originConnection(), null, null, null, null, m.user(), m.state(), null);
        } else if (event instanceof RoomEvent.ReadMoved r) {
            w = new Wire("r", r.room(), r.read(), null, null, null, r.originConnection(), null, null, null, null, r.user(), null, null,
                    null, null, r.unread(), r.mentions(), null, null, null, null, null, null, null);
        } else if (event instanceof RoomEvent.Tip tip) {
            w = wire("tip", tip.room(), tip.seq(), null, null, null, null, null, null, null, null, null, null, null);
        } else {
            throw new IllegalArgumentException("not carried between nodes: " + event);
        }
        return JSONB.toJson(w);
    }

    /**
     * The event a node published, or null when {@code json} is not one (the caller logs it).
     * A message accepted by another node starts its delivery latency at {@code arrivedNanos}.
     */
    public static RoomEvent decode(String json, String nodeId, long arrivedNanos) {
        Wire w;
        try {
            w = JSONB.fromJson(json, Wire.class);
        } catch (JsonbException | ClassCastException | IllegalArgumentException e) {
            return null;
        }
        if (w != null && "s".equals(w.k())) {
            return w.user() == null || w.sids() == null || w.all() == null || w.sids().stream().anyMatch(java.util.Objects::isNull) ? null
                    : new RoomEvent.SessionsEnded(w.user(), w.sids(), w.all(), w.code());
        }
        if (w == null || w.k() == null || w.room() == null) {
            return null;
        }
        return switch (w.k()) {
            case "m" -> posted(w, nodeId, arrivedNanos);
            case "p" -> w.user() == null || !(RoomEvent.JOINED.equals(w.state()) || RoomEvent.LEFT.equals(w.state())) ? null
                    : new RoomEvent.PresenceChanged(w.room(), w.user(), w.state());
            case "t" -> w.user() == null ? null : new RoomEvent.Typing(w.room(), w.user());
            case "i" -> w.user() == null || w.from() == null ? null : new RoomEvent.Invitation(w.room(), w.user(), w.from());
            case "x" -> w.user() == null || w.by() == null ? null : new RoomEvent.Kicked(w.room(), w.user(), w.by());
            case "tip" -> w.seq() == null ? null : new RoomEvent.Tip(w.room(), w.seq());
            case "j" -> w.user() == null || !(RoomEvent.JOINED.equals(w.state()) || RoomEvent.LEFT.equals(w.state())) ? null
                    : new RoomEvent.Membership(w.room(), w.user(), w.state(), w.origin());
            case "r" -> w.user() == null || w.seq() == null || w.unread() == null || w.mentions() == null ? null
                    : new RoomEvent.ReadMoved(w.room(), w.user(), w.seq(), w.unread(), w.mentions(), w.origin());
            default -> null;
        };
    }

    /** An ISO-8601 instant as epoch millis, or null when {@code ts} is absent or not one. */
    private static Long millis(String ts) {
        if (ts == null) {
            return null;
        }
        try {
            return java.time.Instant.parse(ts).toEpochMilli();
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }
}
