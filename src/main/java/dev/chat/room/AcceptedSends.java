package dev.chat.room;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The ids of the messages this node committed lately, each good for one resend that costs no rate
 * token. A client that lost its connection before its acks arrived resends those messages, with
 * the same ids, as soon as it is back (the page does, all at once); they are not a flood, and the
 * store answers them with their first seqs without storing anything.
 *
 * <p>Not a bypass of the rate limit: only a first commit records an id (an answered resend does
 * not), and a resend takes its id out, so the free resends of a connection never outnumber the
 * messages its user paid tokens for; anything else, an unknown id dressed as a resend among them,
 * pays as before. The store's dedupe stays the one truth about seqs: this only decides the token.
 *
 * <p>Bounded: at most {@code capacity} ids on the node, the oldest dropped first, and none older
 * than {@code window} (the store's dedupe window, after which a resend is a new message). A lookup
 * is one hash probe. Thread-safe: recorded on the store's ack thread, taken on inbound threads,
 * under one lock held for a map operation only.
 */
public final class AcceptedSends {
    /**
     * The node's bound: at some 250 bytes an entry (key, id text, links), about 12 MiB when full.
     * At the default 20 messages a second per connection, that is the last 40 minutes of 30
     * senders who never pause, or the last few seconds of a node at 10 000 messages a second:
     * past that, a resend pays a token as any frame does, and the page's pacing keeps it under the
     * burst.
     */
    public static final int NODE_CAPACITY = 50_000;

    /** One user's id in one conversation (a room, or a direct pair's hidden room). */
    private record Key(String user, String conversation, String id) { }

    private final int capacity;
    private final long windowNanos;
    /** Insertion order is commit order, so the eldest entry is also the first to expire. */
    private final LinkedHashMap<Key, Long> committedAt = new LinkedHashMap<>();

    public AcceptedSends(int capacity, java.time.Duration window) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive");
        }
        this.capacity = capacity;
        this.windowNanos = window.toNanos();
    }

    /** A first commit of {@code id} by {@code user} in {@code conversation}, at {@code nowNanos}. */
    public void committed(String user, String conversation, String id, long nowNanos) {
        if (id == null) {
            return; // a send without an id cannot be resent as the same message
        }
        synchronized (committedAt) {
            expire(nowNanos);
            committedAt.remove(new Key(user, conversation, id)); // re-insert at the young end
            committedAt.put(new Key(user, conversation, id), nowNanos);
            if (committedAt.size() > capacity) {
                Iterator<Long> eldest = committedAt.values().iterator();
                eldest.next();
                eldest.remove();
            }
        }
    }

    /** True, once, for a resend of an id committed here within the window; false for anything else. */
    public boolean takeResend(String user, String conversation, String id, long nowNanos) {
        if (id == null) {
            return false;
        }
        synchronized (committedAt) {
            Long at = committedAt.remove(new Key(user, conversation, id));
            return at != null && nowNanos - at <= windowNanos;
        }
    }

    int size() {
        synchronized (committedAt) {
            return committedAt.size();
        }
    }

    /** Drops the entries past the window; they are the eldest, so it stops at the first young one. */
    private void expire(long nowNanos) {
        Iterator<Map.Entry<Key, Long>> entries = committedAt.entrySet().iterator();
        while (entries.hasNext()) {
            if (nowNanos - entries.next().getValue() <= windowNanos) {
                return;
            }
            entries.remove();
        }
    }
}
