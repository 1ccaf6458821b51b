package dev.chat.cluster;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.function.Consumer;

/**
 * One room on a single node: its sequence, its history and its recent send ids. A message is
 * given its seq, stored and queued under the lock, so it is in the history before anyone is acked
 * or told; whichever publisher then finds no delivery running drains the queue in order, outside
 * the lock. Messages thus reach the listener in seq order, one at a time, and no lock is held
 * while the registry fans them out.
 */
final class RoomLog {
    private final ArrayDeque<RoomEvent.Posted> pending = new ArrayDeque<>();
    private final ArrayDeque<RoomEvent.Posted> history = new ArrayDeque<>();
    /** "user\0id" to seq, in the order sent, so expiry only ever trims the head. */
    private final LinkedHashMap<String, Sent> recentIds = new LinkedHashMap<>();
    private final Consumer<RoomEvent.Posted> deliver;
    private final int historySize;
    private final long historyTtlMillis;
    private final long dedupeWindowNanos;
    private long seq;
    private boolean draining;

    private record Sent(long seq, long atNanos) { }

    RoomLog(Consumer<RoomEvent.Posted> deliver, int historySize, long historyTtlMillis, long dedupeWindowNanos) {
        this.deliver = deliver;
        this.historySize = historySize;
        this.historyTtlMillis = historyTtlMillis;
        this.dedupeWindowNanos = dedupeWindowNanos;
    }

    /** Sequences, stores and delivers a message; a resent id within the window gets its first seq and nothing else. */
    long publish(RoomEvent.Posted message) {
        RoomEvent.Posted sequenced;
        synchronized (this) {
            long now = System.nanoTime();
            String key = message.clientId() == null ? null : message.from() + '\0' + message.clientId();
            if (key != null) {
                expireIds(now);
                Sent earlier = recentIds.get(key);
                if (earlier != null) {
                    return earlier.seq();
                }
            }
            sequenced = message.withSeq(++seq);
            history.add(sequenced);
            if (history.size() > historySize) {
                history.poll();
            }
            if (key != null) {
                recentIds.put(key, new Sent(sequenced.seq(), now));
            }
            pending.add(sequenced);
        }
        drain();
        return sequenced.seq();
    }

    private void expireIds(long now) {
        Iterator<Sent> it = recentIds.values().iterator();
        while (it.hasNext() && now - it.next().atNanos() > dedupeWindowNanos) {
            it.remove();
        }
    }

    /** Messages with seq above {@code afterSeq}, oldest first, at most {@code limit}. */
    synchronized HistorySlice after(long afterSeq, int limit) {
        List<RoomEvent.Posted> live = live();
        List<RoomEvent.Posted> out = new ArrayList<>();
        for (RoomEvent.Posted p : live) {
            if (p.seq() > afterSeq && out.size() < limit) {
                out.add(p);
            }
        }
        return new HistorySlice(out, seq, live.isEmpty() ? 0 : live.get(0).seq());
    }

    /** The newest messages with seq below {@code beforeSeq}, oldest first, at most {@code limit}. */
    synchronized HistorySlice before(long beforeSeq, int limit) {
        List<RoomEvent.Posted> live = live();
        int end = 0;
        while (end < live.size() && live.get(end).seq() < beforeSeq) {
            end++;
        }
        return new HistorySlice(live.subList(Math.max(0, end - limit), end), seq, live.isEmpty() ? 0 : live.get(0).seq());
    }

    /** The history without messages older than the TTL. Caller holds the lock. */
    private List<RoomEvent.Posted> live() {
        Instant oldest = Instant.now().minusMillis(historyTtlMillis);
        while (!history.isEmpty() && Instant.parse(history.peek().ts()).isBefore(oldest)) {
            history.poll();
        }
        return new ArrayList<>(history);
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
