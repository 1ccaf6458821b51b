package dev.chat.presence;

import dev.chat.event.RoomEvent;
import java.util.Set;
import java.util.function.Consumer;

/** Presence of a single node: the registry already knows who is here, so this only announces. */
public final class LocalPresence implements Presence {
    private volatile Consumer<RoomEvent> listener;

    @Override
    public void start(Consumer<RoomEvent> listener) {
        this.listener = listener;
    }

    @Override
    public void memberJoined(String room, String user) {
        listener.accept(new RoomEvent.PresenceChanged(room, user, RoomEvent.JOINED));
    }

    @Override
    public void memberLeft(String room, String user) {
        listener.accept(new RoomEvent.PresenceChanged(room, user, RoomEvent.LEFT));
    }

    @Override
    public Set<String> members(String room) {
        return Set.of();
    }

    @Override
    public void close() {
        // nothing held
    }
}
