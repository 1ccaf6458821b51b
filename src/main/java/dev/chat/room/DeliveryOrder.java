package dev.chat.room;

import dev.chat.bus.Bus;
import dev.chat.event.RoomEvent;
import dev.chat.metrics.ChatMetrics;
import dev.chat.store.HistorySlice;
import dev.chat.store.MessageStore;
import dev.chat.store.StoreUnavailableException;
import java.lang.System.Logger.Level;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Puts each conversation's messages in seq order, gap-free, before the registry fans them out.
 * The bus may bring a room's messages out of order (two nodes commit seqs 5 and 6 and publish them
 * in the other order), twice (a publish retried, a fill that overlaps), or not at all (an outage,
 * a node that died between commit and publish). A per-conversation cursor remembers the last seq
 * delivered here; the next one goes on at once, a later one waits, and a gap still open after
 * {@link #GAP_WAIT_MILLIS} is filled from the store, the record of every committed message.
 * When the bus {@link #resumed} after an outage, every conversation is filled from its cursor;
 * and every {@link #AUDIT_MILLIS} the store's latest seqs are compared with the cursors: a cursor
 * still behind what the previous audit saw is filled, which catches the last messages of a node
 * that died between its commit and its publish.
 *
 * <p>A room's cursor starts when its first local member joins ({@link #track}), at the room's
 * latest seq in the store: everything committed up to then is the joiner's replay. A direct
 * conversation's cursor starts with the first message that reaches this node for that user, one
 * before it: what came earlier is the history the client pages. Delivery of one conversation runs
 * under its cursor's lock (fan-out only queues, it never blocks); {@code chat-gap-fill} reads the store.
 */
public final class DeliveryOrder implements Bus.Listener {
    private static final System.Logger LOG = System.getLogger(DeliveryOrder.class.getName());
    /** How long a later seq waits for the ones before it before they are read from the store. */
    static final long GAP_WAIT_MILLIS = 250;
    /** Messages read from the store per fill; a longer gap takes more reads. */
    static final int FILL_LIMIT = 1000;
    /** Out-of-order messages held per conversation at most; beyond that the fill starts at once. */
    static final int MAX_WAITING = 10_000;

    /** How often the cursors are compared with the store (one batched query per 500 conversations). */
    static final long AUDIT_MILLIS = 2000;

    private static final long UNKNOWN = -1;

    /** One conversation on this node: the last seq delivered and what arrived ahead of it. Guarded by itself. */
    private static final class Cursor {
        final String room;
        long delivered = UNKNOWN;
        final TreeMap<Long, RoomEvent> waiting = new TreeMap<>();
        boolean fillDue;
        /** The store's latest seq at the last audit, while the cursor was behind it; 0 when it was not. */
        long auditedLatest;
        /** Completes once {@link #delivered} is known: a second joiner waits for it before its replay. */
        final java.util.concurrent.CompletableFuture<Void> ready = new java.util.concurrent.CompletableFuture<>();

        Cursor(String room) {
            this.room = room;
        }
    }

    private final Bus.Listener next;
    private final MessageStore store;
    private final ChatMetrics metrics;
    private final ConcurrentHashMap<String, Cursor> cursors = new ConcurrentHashMap<>();
    /** Each user's direct cursors (their keys), so a user's last close here finds them without a scan. */
    private final ConcurrentHashMap<String, Set<String>> directKeys = new ConcurrentHashMap<>();
    private final ScheduledExecutorService filler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "chat-gap-fill");
        t.setDaemon(true);
        return t;
    });

    public DeliveryOrder(Bus.Listener next, MessageStore store, ChatMetrics metrics) {
        this.next = next;
        this.store = store;
        this.metrics = metrics;
        filler.scheduleWithFixedDelay(this::audit, AUDIT_MILLIS, AUDIT_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** On {@code chat-gap-fill}: every conversation whose store has more than was delivered here gets a fill. */
    private void audit() {
        try {
            Map<String, java.util.List<String>> keysByRoom = new java.util.HashMap<>();
            for (Map.Entry<String, Cursor> e : cursors.entrySet()) {
                keysByRoom.computeIfAbsent(e.getValue().room, r -> new java.util.ArrayList<>()).add(e.getKey());
            }
            if (keysByRoom.isEmpty()) {
                return;
            }
            Map<String, Long> latest = store.latestSeqs(keysByRoom.keySet());
            for (Map.Entry<String, Long> e : latest.entrySet()) {
                for (String key : keysByRoom.get(e.getKey())) {
                    audited(key, e.getValue());
                }
            }
        } catch (StoreUnavailableException e) {
            // the next audit tries again
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "comparing the cursors with the store failed", e);
        }
    }

    /**
     * The room has a local member now and its events flow to this node: from here on every message
     * after the store's latest seq reaches the members. Blocks on one store read, the first time.
     */
    public void track(String room) {
        for (int attempt = 0; ; attempt++) {
            Cursor fresh = new Cursor(room);
            Cursor existing = cursors.putIfAbsent(room, fresh);
            if (existing != null) {
                // another joiner is starting it: wait, so this joiner's replay reads after its start
                try {
                    existing.ready.get(5, TimeUnit.SECONDS);
                    return;
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    if (attempt >= 2) {
                        throw new StoreUnavailableException("room " + room + " could not be started here", e);
                    }
                    cursors.remove(room, existing);
                    continue; // its start failed: start it here
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new StoreUnavailableException("interrupted while joining " + room, e);
                }
            }
            long latest;
            try {
                latest = store.latestSeq(room);
            } catch (StoreUnavailableException e) {
                cursors.remove(room, fresh);
                fresh.ready.completeExceptionally(e);
                throw e;
            }
            synchronized (fresh) {
                fresh.delivered = latest;
                fresh.waiting.headMap(latest, true).clear();
                drain(fresh);
                if (!fresh.waiting.isEmpty()) {
                    scheduleFill(room, fresh, GAP_WAIT_MILLIS);
                }
            }
            fresh.ready.complete(null);
            return;
        }
    }

    /** The room's last local member left: its events no longer matter here. Call under the room's lock. */
    public void untrack(String room) {
        cursors.remove(room);
    }

    /**
     * A user's last connection on this node closed: forget the cursors of the user's direct
     * conversations that no longer order anything here. A cursor addressed to one user
     * ({@code "@a+b\0b"}, from the Redis bus) serves that user's connections; an unaddressed one
     * ({@code "@a+b"}, from the single-node bus, which hands each direct message over once for both
     * users) serves both, so it goes only once neither of the pair is {@code connectedHere}.
     * Keeping those while the other user stayed was a leak: one cursor per pair that ever
     * exchanged a message, for the life of the node, each also read by every {@link #audit}.
     */
    public void untrackUser(String user, Predicate<String> connectedHere) {
        // by the user's own keys: a scan of every cursor at every close was a tenth of the server's Java
        // samples in the rooms benchmark (6 000 conversations, 100 reconnects a second)
        Set<String> keys = directKeys.get(user);
        if (keys == null) {
            return;
        }
        for (String key : keys) {
            if (unneeded(key, user, connectedHere) && cursors.remove(key) != null) {
                for (String u : servedBy(key)) {
                    directKeys.computeIfPresent(u, (x, set) -> {
                        set.remove(key);
                        return set.isEmpty() ? null : set;
                    });
                }
            }
        }
    }

    /** The two users of a direct cursor's conversation (addressed to one of them or not): either one's close may end it. */
    private static String[] servedBy(String key) {
        int nul = key.indexOf('\0');
        String[] pair = RoomEvent.directUsers(nul < 0 ? key : key.substring(0, nul));
        return pair == null ? new String[0] : pair;
    }

    /** Whether a direct cursor is one of {@code user}'s conversations whose users have no connection here. */
    private static boolean unneeded(String key, String user, Predicate<String> connectedHere) {
        int nul = key.indexOf('\0');
        String[] pair = RoomEvent.directUsers(nul < 0 ? key : key.substring(0, nul));
        if (pair == null || !pair[0].equals(user) && !pair[1].equals(user)) {
            return false;
        }
        if (nul >= 0) {
            String addressed = key.substring(nul + 1);
            return !connectedHere.test(addressed);
        }
        return !connectedHere.test(pair[0]) && !connectedHere.test(pair[1]);
    }

    /** Conversations with a cursor on this node (rooms and direct pairs): what {@link #audit} reads. */
    int conversations() {
        return cursors.size();
    }

    @Override
    public void onEvent(RoomEvent event) {
        if (event instanceof RoomEvent.Addressed a && a.event() instanceof RoomEvent.Posted p) {
            onMessage(p.room() + '\0' + a.user(), p.room(), event, p.seq(), true);
        } else if (event instanceof RoomEvent.Posted p) {
            onMessage(p.room(), p.room(), event, p.seq(), RoomEvent.directUsers(p.room()) != null);
        } else if (event instanceof RoomEvent.Addressed a && a.event() instanceof RoomEvent.Tip t) {
            onTip(t.room() + '\0' + a.user(), t.seq());
        } else if (event instanceof RoomEvent.Tip t) {
            onTip(t.room(), t.seq());
        } else {
            next.onEvent(event);
        }
    }

    private void onMessage(String key, String room, RoomEvent event, long seq, boolean direct) {
        Cursor c = cursors.get(key);
        if (c == null) {
            if (!direct) {
                return; // no local member: nobody here to tell
            }
            // a direct conversation starts with what reaches this node first; an earlier seq on its way
            // from another node gets GAP_WAIT_MILLIS to arrive before the start is fixed
            Cursor fresh = new Cursor(room);
            Cursor raced = cursors.putIfAbsent(key, fresh);
            c = raced == null ? fresh : raced;
            if (raced == null) {
                for (String u : servedBy(key)) {
                    // inside compute: an add after a concurrent removal of the emptied set would be lost
                    directKeys.compute(u, (x, set) -> {
                        Set<String> keys = set == null ? ConcurrentHashMap.newKeySet() : set;
                        keys.add(key);
                        return keys;
                    });
                }
                Cursor starting = fresh;
                try {
                    filler.schedule(() -> settle(key, starting), GAP_WAIT_MILLIS, TimeUnit.MILLISECONDS);
                } catch (RejectedExecutionException e) {
                    settle(key, starting); // stopping
                }
            }
        }
        synchronized (c) {
            if (c.delivered != UNKNOWN && seq <= c.delivered) {
                return; // delivered already
            }
            c.waiting.put(seq, event);
            if (c.delivered != UNKNOWN) {
                drain(c);
            }
            if (!c.waiting.isEmpty()) {
                scheduleFill(key, c, c.waiting.size() > MAX_WAITING ? 0 : GAP_WAIT_MILLIS);
            }
        }
    }

    /** A direct conversation's cursor starts just before the lowest seq that arrived in its first moment. */
    private void settle(String key, Cursor c) {
        synchronized (c) {
            if (c.delivered == UNKNOWN && !c.waiting.isEmpty()) {
                c.delivered = c.waiting.firstKey() - 1;
                drain(c);
                if (!c.waiting.isEmpty()) {
                    scheduleFill(key, c, 0);
                }
            }
        }
        c.ready.complete(null);
    }

    /**
     * A cursor behind the store is normal for a moment (a commit's delivery is on its way); one that
     * has not caught up with what the previous audit saw has a gap that nothing else will fill.
     */
    private void audited(String key, long latest) {
        Cursor c = cursors.get(key);
        if (c == null) {
            return;
        }
        synchronized (c) {
            if (c.delivered == UNKNOWN || latest <= c.delivered) {
                c.auditedLatest = 0;
                return;
            }
            if (c.auditedLatest > c.delivered) {
                scheduleFill(key, c, 0);
            }
            c.auditedLatest = latest;
        }
    }

    private void onTip(String key, long seq) {
        Cursor c = cursors.get(key);
        if (c == null) {
            return;
        }
        synchronized (c) {
            if (c.delivered != UNKNOWN && seq > c.delivered) {
                scheduleFill(key, c, 0);
            }
        }
    }

    /** Delivers what continues the cursor. Caller holds its lock. */
    private void drain(Cursor c) {
        Map.Entry<Long, RoomEvent> e;
        while ((e = c.waiting.firstEntry()) != null && e.getKey() <= c.delivered + 1) {
            c.waiting.pollFirstEntry();
            if (e.getKey() == c.delivered + 1) {
                c.delivered = e.getKey();
                deliver(e.getValue());
            }
        }
    }

    private void deliver(RoomEvent event) {
        try {
            next.onEvent(event);
        } catch (RuntimeException ex) {
            LOG.log(Level.WARNING, "fan-out of an event failed: " + event.room(), ex);
        }
    }

    /** Caller holds the cursor's lock. */
    private void scheduleFill(String key, Cursor c, long delayMillis) {
        if (c.fillDue) {
            return;
        }
        c.fillDue = true;
        try {
            filler.schedule(() -> fill(key, c), delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            c.fillDue = false; // stopping
        }
    }

    /**
     * On {@code chat-gap-fill}: reads what the store holds after the cursor and delivers it, then
     * what waited behind it. The store is the record: a seq it does not hold any more (retention)
     * is skipped. A store that cannot be read is tried again later.
     */
    private void fill(String key, Cursor c) {
        long from;
        synchronized (c) {
            c.fillDue = false;
            if (cursors.get(key) != c || c.delivered == UNKNOWN) {
                return;
            }
            from = c.delivered;
        }
        HistorySlice slice;
        try {
            slice = store.after(c.room, from, FILL_LIMIT);
        } catch (StoreUnavailableException e) {
            synchronized (c) {
                scheduleFill(key, c, 1000);
            }
            return;
        }
        String user = key.indexOf('\0') < 0 ? null : key.substring(key.indexOf('\0') + 1);
        int filled = 0;
        synchronized (c) {
            if (cursors.get(key) != c) {
                return; // replaced while the store was read: the new cursor has its own start
            }
            for (RoomEvent.Posted p : slice.messages()) {
                if (p.seq() > c.delivered) {
                    c.waiting.remove(p.seq());
                    c.delivered = p.seq();
                    deliver(user == null ? p : new RoomEvent.Addressed(user, p));
                    filled++;
                }
            }
            if (slice.messages().size() < FILL_LIMIT && slice.latestSeq() > 0) {
                // everything up to the store's latest is delivered or gone: what waits is later
                Map.Entry<Long, RoomEvent> first = c.waiting.firstEntry();
                if (first != null && first.getKey() <= slice.latestSeq()) {
                    c.delivered = Math.max(c.delivered, first.getKey() - 1);
                }
            }
            drain(c);
            if (!c.waiting.isEmpty() || slice.messages().size() == FILL_LIMIT) {
                scheduleFill(key, c, slice.messages().size() == FILL_LIMIT ? 0 : GAP_WAIT_MILLIS);
            }
        }
        if (filled > 0) {
            metrics.gapFilled(filled);
            LOG.log(Level.DEBUG, "filled {0} messages of {1} from the store", filled, c.room);
        }
    }

    @Override
    public boolean hasLocalMembers(String room) {
        return next.hasLocalMembers(room);
    }

    /** After a bus outage: every conversation is filled from where it stands. */
    @Override
    public void resumed() {
        for (Map.Entry<String, Cursor> e : cursors.entrySet()) {
            synchronized (e.getValue()) {
                if (e.getValue().delivered != UNKNOWN) {
                    scheduleFill(e.getKey(), e.getValue(), 0);
                }
            }
        }
    }

    public void close() {
        filler.shutdownNow();
    }
}
