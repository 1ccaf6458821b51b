package dev.chat.cluster;

/** What travels between nodes about a room: an accepted message or a presence change. */
public sealed interface RoomEvent {
    String JOINED = "joined";
    String LEFT = "left";

    String room();

    /**
     * A message accepted from {@code originConnection}, whose trace id is {@code originTrace};
     * {@code seq} is 0 until the bus assigns it. {@code clientId} is the sender's request id (may be
     * null), {@code ts} ISO-8601 UTC with millis. {@code acceptedNanos} is this node's
     * {@link System#nanoTime} when the message was accepted, or, for a message accepted by another
     * node, when it arrived here: the start of its delivery latency.
     */
    record Posted(String room, String from, String text, String clientId, String originConnection,
                  String originTrace, long seq, String ts, long acceptedNanos) implements RoomEvent {
        public Posted withSeq(long seq) {
            return new Posted(room, from, text, clientId, originConnection, originTrace, seq, ts, acceptedNanos);
        }
    }

    /** A user is typing in the room: relayed, never stored. */
    record Typing(String room, String user) implements RoomEvent { }

    /** A user's first connection entered the room ({@code joined}) or the last one went ({@code left}). */
    record PresenceChanged(String room, String user, String state) implements RoomEvent { }
}
