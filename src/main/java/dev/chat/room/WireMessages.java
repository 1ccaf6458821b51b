package dev.chat.room;

import dev.chat.event.RoomEvent;
import dev.chat.protocol.ServerFrame;

/**
 * The protocol's object of a stored room event: a {@code message} (as it stands, when read back
 * from the store), or the {@code edited}, {@code deleted} or {@code reaction} that changed one. The
 * one mapping live delivery, replay and history share.
 */
final class WireMessages {
    private WireMessages() {
    }

    /** The wire form of a stored event; a direct one names the other user ({@code to}) instead of a room. */
    static ServerFrame of(RoomEvent.Posted p, boolean replay) {
        String[] pair = RoomEvent.directUsers(p.room());
        String room = pair == null ? p.room() : null;
        String to = pair == null ? null : pair[0].equals(p.from()) ? pair[1] : pair[0];
        Boolean replayed = replay ? Boolean.TRUE : null;
        RoomEvent.Detail d = p.details();
        return switch (d.kind()) {
            // a deleted message's edits lost their text with it
            case RoomEvent.Detail.EDIT -> new ServerFrame.Edited(room, to, p.seq(), d.target(), p.from(),
                    p.text().isEmpty() ? null : p.text(), p.clientId(), p.isoTs(), replayed);
            case RoomEvent.Detail.DELETE -> new ServerFrame.Deleted(room, to, p.seq(), d.target(), p.from(), p.clientId(), p.isoTs(), replayed);
            case RoomEvent.Detail.REACT -> new ServerFrame.Reaction(room, to, p.seq(), d.target(), p.from(), d.emoji(),
                    Boolean.TRUE.equals(d.on()), p.clientId(), p.isoTs(), replayed);
            default -> new ServerFrame.Message(room, p.from(), to, d.deleted() ? null : p.text(), p.clientId(), p.seq(), p.isoTs(),
                    d.replyTo(), d.mentions(), d.editedAt() == null ? null : iso(d.editedAt()), d.deleted() ? Boolean.TRUE : null,
                    d.reactions(), replayed);
        };
    }

    private static String iso(long millis) {
        return java.time.format.DateTimeFormatter.ISO_INSTANT.format(java.time.Instant.ofEpochMilli(millis));
    }
}
