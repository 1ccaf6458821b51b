package dev.chat.cluster;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/** The single-node bus: sequences and delivers in memory, through the same listener as the Redis bus. */
public final class MemoryClusterBus implements ClusterBus {
    private final ConcurrentHashMap<String, RoomSequencer> rooms = new ConcurrentHashMap<>();
    private volatile Listener listener;

    @Override
    public void start(Listener listener) {
        this.listener = listener;
    }

    @Override
    public CompletableFuture<Void> subscribe(String room) {
        return CompletableFuture.completedFuture(null); // one node: every room is local already
    }

    @Override
    public void unsubscribe(String room) {
        // the sequencer stays: seq must keep counting when the room fills again
    }

    @Override
    public long publish(RoomEvent.Posted message) {
        return rooms.computeIfAbsent(message.room(), r -> new RoomSequencer(0, listener::onEvent)).publish(message);
    }

    @Override
    public void memberJoined(String room, String user) {
        listener.onEvent(new RoomEvent.PresenceChanged(room, user, RoomEvent.JOINED));
    }

    @Override
    public void memberLeft(String room, String user) {
        listener.onEvent(new RoomEvent.PresenceChanged(room, user, RoomEvent.LEFT));
    }

    @Override
    public Set<String> members(String room) {
        return Set.of();
    }

    @Override
    public boolean healthy() {
        return true;
    }

    @Override
    public void close() {
        rooms.clear();
    }
}
