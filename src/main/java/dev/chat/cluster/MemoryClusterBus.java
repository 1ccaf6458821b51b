package dev.chat.cluster;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The single-node bus: sequences, stores and delivers in memory, through the same listener as the
 * Redis bus. The history is lost when the node stops (documented); a room's log is kept for the
 * life of the process, so its seq keeps counting when the room fills again.
 */
public final class MemoryClusterBus implements ClusterBus {
    private final ConcurrentHashMap<String, RoomLog> rooms = new ConcurrentHashMap<>();
    private final int historySize;
    private final long historyTtlMillis;
    private final long dedupeWindowNanos;
    private volatile Listener listener;

    public MemoryClusterBus(int historySize, Duration historyTtl, Duration dedupeWindow) {
        this.historySize = historySize;
        this.historyTtlMillis = historyTtl.toMillis();
        this.dedupeWindowNanos = dedupeWindow.toNanos();
    }

    /** Defaults for tests: 1000 messages, 24 h, 10 min. */
    public MemoryClusterBus() {
        this(1000, Duration.ofHours(24), Duration.ofMinutes(10));
    }

    @Override
    public void start(Listener listener) {
        this.listener = listener;
    }

    private RoomLog log(String room) {
        return rooms.computeIfAbsent(room, r -> new RoomLog(listener::onEvent, historySize, historyTtlMillis, dedupeWindowNanos));
    }

    @Override
    public CompletableFuture<Void> subscribe(String room) {
        return CompletableFuture.completedFuture(null); // one node: every room is local already
    }

    @Override
    public void unsubscribe(String room) {
        // nothing to stop receiving
    }

    @Override
    public long publish(RoomEvent.Posted message) {
        return log(message.room()).publish(message);
    }

    @Override
    public HistorySlice after(String room, long afterSeq, int limit) {
        RoomLog log = rooms.get(room);
        return log == null ? HistorySlice.EMPTY : log.after(afterSeq, limit);
    }

    @Override
    public HistorySlice before(String room, long beforeSeq, int limit) {
        RoomLog log = rooms.get(room);
        return log == null ? HistorySlice.EMPTY : log.before(beforeSeq, limit);
    }

    @Override
    public void subscribeUser(String user) {
        // one node: every user is local already
    }

    @Override
    public void unsubscribeUser(String user) {
        // nothing to stop receiving
    }

    @Override
    public void toUser(String user, RoomEvent event) {
        listener.onEvent(event);
    }

    @Override
    public void memberJoined(String room, String user) {
        listener.onEvent(new RoomEvent.PresenceChanged(room, user, RoomEvent.JOINED));
    }

    @Override
    public void memberLeft(String room, String user) {
        listener.onEvent(new RoomEvent.PresenceChanged(room, user, RoomEvent.LEFT));
    }

    /** "room\0user" to when typing was last relayed; stale entries are trimmed as the map grows. */
    private final ConcurrentHashMap<String, Long> typing = new ConcurrentHashMap<>();

    @Override
    public void typing(String room, String user) {
        long now = System.nanoTime();
        long period = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(TYPING_PERIOD_MILLIS);
        boolean[] relay = {false};
        typing.compute(room + '\0' + user, (k, last) -> {
            if (last != null && now - last < period) {
                return last;
            }
            relay[0] = true;
            return now;
        });
        if (typing.size() > 10_000) {
            typing.values().removeIf(last -> now - last >= period);
        }
        if (relay[0]) {
            listener.onEvent(new RoomEvent.Typing(room, user));
        }
    }

    @Override
    public Set<String> members(String room) {
        return Set.of();
    }

    /** A new one every start: the history lives in memory and starts over with the process. */
    private final String epoch = java.util.UUID.randomUUID().toString();

    @Override
    public String epoch() {
        return epoch;
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
