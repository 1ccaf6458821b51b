package dev.chat.room;

import dev.chat.event.RoomEvent;
import dev.chat.protocol.ServerFrame;

/** The protocol's {@code message} object of a stored message: the one mapping live, replay and history share. */
final class WireMessages {
    private WireMessages() {
    }

    /** The wire form of a stored message; a direct one names its recipient instead of a room. */
    static ServerFrame.Message of(RoomEvent.Posted p, boolean replay) {
        String[] pair = RoomEvent.directUsers(p.room());
        String room = pair == null ? p.room() : null;
        String to = pair == null ? null : pair[0].equals(p.from()) ? pair[1] : pair[0];
        return new ServerFrame.Message(room, p.from(), to, p.text(), p.clientId(), p.seq(), p.isoTs(),
                replay ? Boolean.TRUE : null);
    }
}
