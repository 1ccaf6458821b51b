package dev.chat.cluster;

import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * Sequences one room's messages in memory: the seq is taken and the message queued under the
 * lock, and whichever publisher finds no delivery running drains the queue in order, outside the
 * lock. Messages thus reach the listener in seq order, one at a time, with no lock held while the
 * registry fans them out. Used by the single-node bus, and by the Redis bus while Redis is down.
 */
final class RoomSequencer {
    private final ArrayDeque<RoomEvent.Posted> pending = new ArrayDeque<>();
    private final Consumer<RoomEvent.Posted> deliver;
    private long seq;
    private boolean draining;

    RoomSequencer(long lastSeq, Consumer<RoomEvent.Posted> deliver) {
        this.seq = lastSeq;
        this.deliver = deliver;
    }

    long publish(RoomEvent.Posted message) {
        RoomEvent.Posted sequenced;
        synchronized (this) {
            sequenced = message.withSeq(++seq);
            pending.add(sequenced);
        }
        drain();
        return sequenced.seq();
    }

    synchronized long lastSeq() {
        return seq;
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
                deliver.accept(next);
            } finally {
                synchronized (this) {
                    draining = false;
                }
            }
        }
    }
}
