package dev.chat.cluster;

import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The single-node bus: sequences and delivers in memory. Each room has a small sequencer: the seq
 * is taken and the event queued under the room's lock, and whichever publisher finds no delivery
 * running drains the queue in order, outside the lock. So messages reach members in seq order with
 * no lock held while the registry fans them out.
 */
public final class MemoryClusterBus implements ClusterBus {
    private final ConcurrentHashMap<String, Sequencer> rooms = new ConcurrentHashMap<>();
    private volatile Listener listener;

    @Override
    public void start(Listener listener) {
        this.listener = listener;
    }

    @Override
    public void subscribe(String room) {
        // one node: every room is local already
    }

    @Override
    public void unsubscribe(String room) {
        // the sequencer stays: seq must keep counting when the room fills again
    }

    @Override
    public long publish(RoomEvent.Posted message) {
        return rooms.computeIfAbsent(message.room(), r -> new Sequencer()).publish(message);
    }

    @Override
    public void publish(RoomEvent.PresenceChanged presence) {
        listener.onEvent(presence);
    }

    @Override
    public void close() {
        rooms.clear();
    }

    private final class Sequencer {
        private final ArrayDeque<RoomEvent.Posted> pending = new ArrayDeque<>();
        private long seq;
        private boolean draining;

        long publish(RoomEvent.Posted message) {
            RoomEvent.Posted sequenced;
            synchronized (this) {
                sequenced = message.withSeq(++seq);
                pending.add(sequenced);
            }
            drain();
            return sequenced.seq();
        }

        private void drain() {
            while (true) {
                RoomEvent.Posted next;
                synchronized (this) {
                    if (draining || (next = pending.poll()) == null) {
                        return;
                    }
                    draining = true;
                }
                try {
                    listener.onEvent(next);
                } finally {
                    synchronized (this) {
                        draining = false;
                    }
                }
            }
        }
    }
}
