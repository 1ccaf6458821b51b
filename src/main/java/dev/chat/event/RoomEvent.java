package dev.chat.event;

/**
 * What happens in a room, as it travels from the store and between nodes to the room registry:
 * a committed message, a presence change, typing, an invitation, kick, membership change or read
 * position addressed to one user, or a room's tip (its latest committed seq, so a node that missed messages fills them from the store).
 */
public sealed interface RoomEvent {
    String JOINED = "joined";
    String LEFT = "left";

    String room();

    /**
     * A message accepted from {@code originConnection}, whose trace id is {@code originTrace};
     * {@code seq} is 0 until the store commits it. {@code clientId} is the sender's request id (may be
     * null), {@code ts} when it was accepted, in epoch millis (the store keeps that number; the wire,
     * {@link #isoTs}). {@code acceptedNanos} is this node's
     * {@link System#nanoTime} when the message was accepted, or, for a message accepted by another
     * node, when it arrived here: the start of its delivery latency.
     */
    record Posted(String room, String from, String text, String clientId, String originConnection,
                  String originTrace, long seq, long ts, long acceptedNanos, Detail detail) implements RoomEvent {
        /** A plain message: no reply, no mentions, never changed. */
        public Posted(String room, String from, String text, String clientId, String originConnection,
                      String originTrace, long seq, long ts, long acceptedNanos) {
            this(room, from, text, clientId, originConnection, originTrace, seq, ts, acceptedNanos, null);
        }

        public Posted withSeq(long seq) {
            return new Posted(room, from, text, clientId, originConnection, originTrace, seq, ts, acceptedNanos, detail);
        }

        public Posted withDetail(Detail detail) {
            return new Posted(room, from, text, clientId, originConnection, originTrace, seq, ts, acceptedNanos, detail);
        }

        /** What this event of the room is: {@link Detail#MESSAGE}, or a change of an earlier message. */
        public String kind() {
            return detail == null ? Detail.MESSAGE : detail.kind();
        }

        /** Never null: a plain message's detail is {@link Detail#NONE}. */
        public Detail details() {
            return detail == null ? Detail.NONE : detail;
        }

        /** {@code ts} as the protocol writes it: ISO-8601 UTC with millis. */
        public String isoTs() {
            return java.time.format.DateTimeFormatter.ISO_INSTANT.format(java.time.Instant.ofEpochMilli(ts));
        }
    }

    /**
     * What a room event is beyond its text. A {@link #MESSAGE} may answer another ({@code replyTo})
     * and mention members ({@code mentions}, found at commit); read back from the store it carries
     * its current state ({@code editedAt}, {@code deleted}, {@code reactions}). The other kinds
     * change the message {@code target}: {@link #EDIT} (the new text is the event's text),
     * {@link #DELETE}, {@link #REACT} ({@code emoji}, {@code on}: whether the reaction is now there).
     */
    record Detail(String kind, long target, Long replyTo, String emoji, Boolean on, java.util.List<String> mentions,
                  Long editedAt, boolean deleted, java.util.Map<String, java.util.List<String>> reactions) {
        public static final String MESSAGE = "message";
        public static final String EDIT = "edit";
        public static final String DELETE = "delete";
        public static final String REACT = "react";
        public static final Detail NONE = new Detail(MESSAGE, 0, null, null, null, null, null, false, null);

        public static Detail reply(Long replyTo) {
            return new Detail(MESSAGE, 0, replyTo, null, null, null, null, false, null);
        }

        public static Detail edit(long target) {
            return new Detail(EDIT, target, null, null, null, null, null, false, null);
        }

        public static Detail delete(long target) {
            return new Detail(DELETE, target, null, null, null, null, null, false, null);
        }

        public static Detail react(long target, String emoji) {
            return new Detail(REACT, target, null, emoji, null, null, null, false, null);
        }

        public Detail withMentions(java.util.List<String> names) {
            return new Detail(kind, target, replyTo, emoji, on, names, editedAt, deleted, reactions);
        }

        public Detail withOn(boolean now) {
            return new Detail(kind, target, replyTo, emoji, now, mentions, editedAt, deleted, reactions);
        }

        public Detail withState(Long edited, boolean gone, java.util.Map<String, java.util.List<String>> now) {
            return new Detail(kind, target, replyTo, emoji, on, mentions, edited, gone, now);
        }
    }

    /**
     * An event that reached this node on one user's channel: it is for that user's connections
     * only (a direct message travels on both users' channels, and a node with both users gets it twice).
     */
    record Addressed(String user, RoomEvent event) implements RoomEvent {
        @Override
        public String room() {
            return event.room();
        }
    }

    /** To one user's connections: {@code from} invited them into the private room. */
    record Invitation(String room, String user, String from) implements RoomEvent { }

    /** To one user's connections: an admin ({@code by}) removed them from the room. */
    record Kicked(String room, String user, String by) implements RoomEvent { }

    /**
     * The internal room of the direct messages between two users: an {@code @} that no client room
     * name can contain, then the two names, sorted, each with {@code %} and {@code +} escaped
     * ({@code %25}, {@code %2B}), joined by the one {@code +} left: {@code @alice+bob},
     * {@code @a%2Bb+c}. A name may hold {@code +} and {@code @} now, so without the escape
     * {@code a+b} and {@code c} would share {@code @a+b+c} with {@code a} and {@code b+c}. Names of
     * the old syntax hold neither character, so their rooms keep the names they were stored under.
     * Its seq and history work like a room's.
     */
    static String directRoom(String a, String b) {
        return a.compareTo(b) <= 0 ? "@" + escape(a) + "+" + escape(b) : "@" + escape(b) + "+" + escape(a);
    }

    /** The two users of a direct room, or null when {@code room} is not one (a client room, {@code @server}). */
    static String[] directUsers(String room) {
        int plus = room.indexOf('+');
        if (!room.startsWith("@") || plus < 0 || room.indexOf('+', plus + 1) >= 0) {
            return null;
        }
        return new String[] {unescape(room.substring(1, plus)), unescape(room.substring(plus + 1))};
    }

    private static String escape(String name) {
        return name.indexOf('%') < 0 && name.indexOf('+') < 0 ? name : name.replace("%", "%25").replace("+", "%2B");
    }

    private static String unescape(String part) {
        // one left-to-right pass, so a name's own "%2B" (stored as "%252B") comes back as it was
        if (part.indexOf('%') < 0) {
            return part;
        }
        StringBuilder out = new StringBuilder(part.length());
        for (int i = 0; i < part.length(); i++) {
            if (part.startsWith("%25", i)) {
                out.append('%');
                i += 2;
            } else if (part.startsWith("%2B", i)) {
                out.append('+');
                i += 2;
            } else {
                out.append(part.charAt(i));
            }
        }
        return out.toString();
    }

    /**
     * The room's latest committed seq, from a node that committed messages it could not publish (the
     * bus was down): a node whose members have seen less fills the gap from the store.
     */
    record Tip(String room, long seq) implements RoomEvent { }

    /**
     * To one user's connections: these sessions of the user ended (logout, a password change, a
     * reused refresh token); the connections of those sessions close with 4503, and with
     * {@code all} (logout everywhere) every connection of the user does. Not about a room: its
     * {@link #room} is empty. {@code code}: the close code instead of 4503 (a backend's disconnect), or null.
     */
    record SessionsEnded(String user, java.util.List<String> sessions, boolean all, Integer code) implements RoomEvent {
        public SessionsEnded {
            sessions = java.util.List.copyOf(sessions);
        }

        /** A session's end: closed with 4503. */
        public SessionsEnded(String user, java.util.List<String> sessions, boolean all) {
            this(user, sessions, all, null);
        }

        @Override
        public String room() {
            return "";
        }
    }

    /**
     * To one user's connections: the user became a member of the room ({@link #JOINED}) or stopped
     * being one ({@link #LEFT}) through the connection {@code originConnection}, which has its
     * answer already; the user's other connections follow.
     */
    record Membership(String room, String user, String state, String originConnection) implements RoomEvent { }

    /**
     * To one user's connections: the user's read position in the conversation {@code room} moved to
     * {@code read}, leaving these counts; {@code originConnection} sent the {@code read} and has its answer.
     */
    record ReadMoved(String room, String user, long read, long unread, long mentions, String originConnection)
            implements RoomEvent { }

    /** A user is typing in the room: relayed, never stored. */
    record Typing(String room, String user) implements RoomEvent { }

    /** A user's first connection entered the room ({@code joined}) or the last one went ({@code left}). */
    record PresenceChanged(String room, String user, String state) implements RoomEvent { }
}
