package dev.chat.event;

/**
 * What happens in a room, as it travels from the store and between nodes to the room registry:
 * a committed message, a presence change, typing, an invitation or kick addressed to one user, or a
 * room's tip (its latest committed seq, so a node that missed messages fills them from the store).
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
                  String originTrace, long seq, long ts, long acceptedNanos) implements RoomEvent {
        public Posted withSeq(long seq) {
            return new Posted(room, from, text, clientId, originConnection, originTrace, seq, ts, acceptedNanos);
        }

        /** {@code ts} as the protocol writes it: ISO-8601 UTC with millis. */
        public String isoTs() {
            return java.time.format.DateTimeFormatter.ISO_INSTANT.format(java.time.Instant.ofEpochMilli(ts));
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
     * The internal room of the direct messages between two users: their names, sorted, after an
     * {@code @} that no client room name can contain. Its seq and history work like a room's.
     */
    static String directRoom(String a, String b) {
        return a.compareTo(b) <= 0 ? "@" + a + "+" + b : "@" + b + "+" + a;
    }

    /** The two users of a direct room, or null when {@code room} is a client room. */
    static String[] directUsers(String room) {
        if (!room.startsWith("@")) {
            return null;
        }
        int plus = room.indexOf('+');
        return new String[] {room.substring(1, plus), room.substring(plus + 1)};
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
     * {@link #room} is empty.
     */
    record SessionsEnded(String user, java.util.List<String> sessions, boolean all) implements RoomEvent {
        public SessionsEnded {
            sessions = java.util.List.copyOf(sessions);
        }

        @Override
        public String room() {
            return "";
        }
    }

    /** A user is typing in the room: relayed, never stored. */
    record Typing(String room, String user) implements RoomEvent { }

    /** A user's first connection entered the room ({@code joined}) or the last one went ({@code left}). */
    record PresenceChanged(String room, String user, String state) implements RoomEvent { }
}
