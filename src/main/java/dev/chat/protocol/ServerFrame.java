package dev.chat.protocol;

import jakarta.json.bind.annotation.JsonbProperty;
import jakarta.json.bind.annotation.JsonbPropertyOrder;
import java.util.List;

/**
 * What the server sends: a closed set, each a record with its wire type first. Null components are
 * left out of the JSON (a reply without a request id carries no {@code id}). The type is a getter
 * renamed to {@code type}; JSON-B orders properties by their Java names, hence {@code getType}
 * at the head of each {@code @JsonbPropertyOrder}.
 */
public sealed interface ServerFrame {

    /** The frame's {@code type} on the wire. */
    String getType();


    /**
     * {@code epoch} names the history the seqs belong to: it changes when that history starts over
     * (a single node restarted, or a cluster's Redis lost its data), so a client drops the seqs it
     * kept instead of resuming from them.
     */
    @JsonbPropertyOrder({"getType", "user", "protocol", "epoch", "rooms"})
    record Welcome(String user, int protocol, String epoch, List<RoomState> rooms) implements ServerFrame {
        public Welcome(String user, int protocol) {
            this(user, protocol, null, null);
        }

        public Welcome(String user, int protocol, String epoch) {
            this(user, protocol, epoch, null);
        }

        /** This welcome with the user's rooms, as the registry completes it when the connection opens. */
        public Welcome withRooms(List<RoomState> states) {
            return new Welcome(user, protocol, epoch, states);
        }

        @JsonbProperty("type") public String getType() { return "welcome"; }
    }

    /**
     * {@code seq}: the room's latest message seq when the join completed; {@code recovered}: only
     * for a join with {@code since}, whether every message after it was replayed.
     */
    @JsonbPropertyOrder({"getType", "room", "members", "seq", "recovered", "id"})
    record Joined(String room, List<String> members, Long seq, Boolean recovered, String id) implements ServerFrame {
        public Joined(String room, List<String> members, String id) {
            this(room, members, null, null, id);
        }

        @JsonbProperty("type") public String getType() { return "joined"; }
    }

    @JsonbPropertyOrder({"getType", "room", "id"})
    record Left(String room, String id) implements ServerFrame {
        @JsonbProperty("type") public String getType() { return "left"; }
    }

    /**
     * {@code to}: for a direct message, its recipient (and no room). {@code on}: for a {@code react},
     * whether the user's reaction is there now (the toggle's outcome, which the connection that made
     * it learns only here: the {@code reaction} event goes to the others).
     */
    @JsonbPropertyOrder({"getType", "room", "to", "id", "seq", "on"})
    record Ack(String room, String to, String id, long seq, Boolean on) implements ServerFrame {
        public Ack(String room, String id, long seq) {
            this(room, null, id, seq, null);
        }

        public Ack(String room, String to, String id, long seq) {
            this(room, to, id, seq, null);
        }

        @JsonbProperty("type") public String getType() { return "ack"; }
    }

    /**
     * {@code replay}: true when sent from the history on a join, absent when live. {@code replyTo}:
     * the seq it answers; {@code mentions}: the members it mentions. From the history (or a replay)
     * a message comes as it stands now: {@code edited} (the latest edit's time, with the latest
     * text), or {@code deleted} (no text), and {@code reactions} (each emoji's users, in order).
     */
    @JsonbPropertyOrder({"getType", "room", "from", "to", "text", "id", "seq", "ts", "replyTo", "mentions", "edited", "deleted",
            "reactions", "replay"})
    record Message(String room, String from, String to, String text, String id, long seq, String ts, Long replyTo,
                   List<String> mentions, String edited, Boolean deleted, java.util.Map<String, List<String>> reactions, Boolean replay)
            implements ServerFrame {
        public Message(String room, String from, String text, String id, long seq, String ts) {
            this(room, from, null, text, id, seq, ts, null);
        }

        public Message(String room, String from, String text, String id, long seq, String ts, Boolean replay) {
            this(room, from, null, text, id, seq, ts, replay);
        }

        public Message(String room, String from, String to, String text, String id, long seq, String ts, Boolean replay) {
            this(room, from, to, text, id, seq, ts, null, null, null, null, null, replay);
        }

        @JsonbProperty("type") public String getType() { return "message"; }
    }

    /** A message changed: {@code from} gave the message {@code target} a new text; {@code seq} is this event's own. */
    @JsonbPropertyOrder({"getType", "room", "to", "seq", "target", "from", "text", "id", "ts", "replay"})
    record Edited(String room, String to, long seq, long target, String from, String text, String id, String ts, Boolean replay)
            implements ServerFrame {
        @JsonbProperty("type") public String getType() { return "edited"; }
    }

    /** The message {@code target} was deleted by {@code by} (its sender, the room's owner or an admin). */
    @JsonbPropertyOrder({"getType", "room", "to", "seq", "target", "by", "id", "ts", "replay"})
    record Deleted(String room, String to, long seq, long target, String by, String id, String ts, Boolean replay)
            implements ServerFrame {
        @JsonbProperty("type") public String getType() { return "deleted"; }
    }

    /** {@code from} toggled the reaction {@code emoji} on the message {@code target}: {@code on} says whether it is there now. */
    @JsonbPropertyOrder({"getType", "room", "to", "seq", "target", "from", "emoji", "on", "id", "ts", "replay"})
    record Reaction(String room, String to, long seq, long target, String from, String emoji, boolean on, String id, String ts,
                    Boolean replay) implements ServerFrame {
        @JsonbProperty("type") public String getType() { return "reaction"; }
    }

    /**
     * A page of earlier events, oldest first, answering a {@code history} request: {@link Message}s
     * as they stand now, and the {@link Edited}, {@link Deleted} and {@link Reaction} events among
     * them, each at its own seq.
     */
    @JsonbPropertyOrder({"getType", "room", "with", "messages", "id"})
    record History(String room, String with, List<ServerFrame> messages, String id) implements ServerFrame {
        public History(String room, List<ServerFrame> messages, String id) {
            this(room, null, messages, id);
        }

        @JsonbProperty("type") public String getType() { return "history"; }
    }

    @JsonbPropertyOrder({"getType", "room", "user", "state"})
    record Presence(String room, String user, String state) implements ServerFrame {
        public static final String JOINED = "joined";
        public static final String LEFT = "left";

        @JsonbProperty("type") public String getType() { return "presence"; }
    }

    @JsonbPropertyOrder({"getType", "room", "user"})
    record Typing(String room, String user) implements ServerFrame {
        @JsonbProperty("type") public String getType() { return "typing"; }
    }

    /** Reply to {@code refresh}: the connection now lasts until {@code expiresAt} (ISO-8601 UTC). */
    @JsonbPropertyOrder({"getType", "expiresAt", "id"})
    record Refreshed(String expiresAt, String id) implements ServerFrame {
        @JsonbProperty("type") public String getType() { return "refreshed"; }
    }

    /** Reply to {@code create}; the creator is then a member, as after a join. */
    @JsonbPropertyOrder({"getType", "room", "isPrivate", "id"})
    record Created(String room, @JsonbProperty("private") boolean isPrivate, String id) implements ServerFrame {
        @JsonbProperty("type") public String getType() { return "created"; }
    }

    /** Reply to {@code invite}. */
    @JsonbPropertyOrder({"getType", "room", "user", "id"})
    record Invited(String room, String user, String id) implements ServerFrame {
        @JsonbProperty("type") public String getType() { return "invited"; }
    }

    /** To every connection of an invited user. */
    @JsonbPropertyOrder({"getType", "room", "from"})
    record Invitation(String room, String from) implements ServerFrame {
        @JsonbProperty("type") public String getType() { return "invitation"; }
    }

    /** Reply to {@code kick}. */
    @JsonbPropertyOrder({"getType", "room", "user", "id"})
    record Kicked(String room, String user, String id) implements ServerFrame {
        @JsonbProperty("type") public String getType() { return "kicked"; }
    }

    /** To every connection of a kicked user: it is no longer in the room, and why. */
    @JsonbPropertyOrder({"getType", "room", "by", "reason"})
    record Removed(String room, String by, String reason) implements ServerFrame {
        @JsonbProperty("type") public String getType() { return "removed"; }
    }

    /**
     * Where the user stands in one conversation: a room ({@code room}) or a direct conversation
     * ({@code with}). {@code seq} is its latest seq (in {@code welcome}: the connection's live
     * messages of the room are those after it), {@code read} the user's read position, {@code unread}
     * the messages after it that others sent, {@code mentions} those that mention the user (both
     * counted up to 1000). Not a frame of its own: {@code welcome} and {@code rooms} carry lists of it.
     */
    @JsonbPropertyOrder({"room", "with", "seq", "read", "unread", "mentions"})
    record RoomState(String room, String with, long seq, long read, long unread, long mentions) { }

    /** Reply to {@code rooms}: every conversation the user belongs to. */
    @JsonbPropertyOrder({"getType", "rooms", "id"})
    record Rooms(List<RoomState> rooms, String id) implements ServerFrame {
        @JsonbProperty("type") public String getType() { return "rooms"; }
    }

    /**
     * To a user's other connections: the user joined ({@code joined}; this connection is now in the
     * room, its live messages those after {@code seq}) or left ({@code left}) a room elsewhere.
     */
    @JsonbPropertyOrder({"getType", "room", "state", "seq"})
    record Membership(String room, String state, Long seq) implements ServerFrame {
        @JsonbProperty("type") public String getType() { return "membership"; }
    }

    /**
     * The user's read position moved (on this connection: the reply, with the request's id; on the
     * user's other connections: news, without one).
     */
    @JsonbPropertyOrder({"getType", "room", "with", "seq", "unread", "mentions", "id"})
    record Read(String room, String with, long seq, long unread, long mentions, String id) implements ServerFrame {
        @JsonbProperty("type") public String getType() { return "read"; }
    }

    @JsonbPropertyOrder({"getType", "code", "message", "id"})
    record Error(String code, String message, String id) implements ServerFrame {
        public Error(ErrorCode code, String message, String id) {
            this(code.wire(), message, id);
        }

        @JsonbProperty("type") public String getType() { return "error"; }
    }
}
