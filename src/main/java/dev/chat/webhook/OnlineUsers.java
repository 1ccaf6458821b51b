package dev.chat.webhook;

import dev.chat.store.JdbcOnlineUsers;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Turns this node's connections into {@code user.online} and {@code user.offline}: a user's first
 * connection here is reported at once, the close of their last one after {@code CHAT_WEBHOOK_OFFLINE_DEBOUNCE}
 * (a reload, or a reconnect through another node, is no news: that node reports its connection before
 * this one reports the close), and the store decides from every node's reports whether the user's
 * state changed ({@link JdbcOnlineUsers}). All of it on one thread ({@code chat-webhook-online}), so a
 * user's reports from this node never overtake each other; the connection threads only count.
 */
public final class OnlineUsers implements dev.chat.connection.Connections.UserListener {
    private static final System.Logger LOG = System.getLogger(OnlineUsers.class.getName());
    /** How often due reports are made and failed ones tried again. */
    private static final long TICK_MILLIS = 200;
    /** A report the database refused is tried again this much later. */
    private static final long RETRY_MILLIS = 1000;
    /** How often this node says it is alive ... */
    static final long BEAT_MILLIS = 5000;
    /** ... and how long a node may be silent before the others take its users off (three beats missed). */
    static final long NODE_TIMEOUT_MILLIS = 3 * BEAT_MILLIS;

    private final JdbcOnlineUsers store;
    private final String node;
    private final long debounceMillis;
    /** This node's open connections per user; an entry lives while its user has one. */
    private final ConcurrentHashMap<String, Integer> connected = new ConcurrentHashMap<>();
    /** Users whose report is due, with when (epoch millis). */
    private final ConcurrentHashMap<String, Long> due = new ConcurrentHashMap<>();
    /** Users the store was told this node has; only the executor's thread touches it. */
    private final Set<String> reported = new HashSet<>();
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "chat-webhook-online");
        t.setDaemon(true);
        return t;
    });
    private long beatAt;
    /** Set when this node's beat was found stale: all its users must be reported again. */
    private boolean reportAll;

    public OnlineUsers(JdbcOnlineUsers store, String node, Duration debounce) {
        this.store = store;
        this.node = node;
        this.debounceMillis = debounce.toMillis();
    }

    /**
     * Beats, takes back (after the debounce) what a node of this name reported before it stopped (its
     * connections are gone; those who came back here since stay), then reports every {@link #TICK_MILLIS}.
     */
    public void start() {
        executor.execute(() -> {
            try {
                store.beat(node, NODE_TIMEOUT_MILLIS);
                beatAt = System.currentTimeMillis();
                // a node of this name had them before it stopped: each goes after the debounce unless back here
                long at = System.currentTimeMillis() + debounceMillis;
                for (String user : store.usersOf(node)) {
                    reported.add(user);
                    due.putIfAbsent(user, at);
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "who this node had online before its start could not be taken back ({0});"
                        + " the other nodes take it back when its rows time out", e.toString());
            }
        });
        executor.scheduleWithFixedDelay(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    /**
     * Whether any live node reported {@code user} connected: a user connected to another node only, in
     * no room (so in no presence), is online too. Up to a tick late for a new connection, and true for
     * the debounce after the last one closed, as the webhooks see it.
     */
    public boolean onlineAnywhere(String user) {
        return connected.containsKey(user) || store.isOnline(user, NODE_TIMEOUT_MILLIS);
    }

    /** A connection of {@code user} opened here. */
    @Override
    public void connected(String user) {
        if (connected.merge(user, 1, Integer::sum) == 1) {
            due.put(user, 0L);
            executor.execute(this::tick);
        }
    }

    /** A connection of {@code user} closed here. */
    @Override
    public void disconnected(String user) {
        boolean[] last = {false};
        connected.computeIfPresent(user, (u, n) -> {
            last[0] = n <= 1;
            return last[0] ? null : n - 1;
        });
        if (last[0]) {
            due.put(user, System.currentTimeMillis() + debounceMillis);
        }
    }

    private void tick() {
        long now = System.currentTimeMillis();
        try {
            if (now - beatAt >= BEAT_MILLIS) {
                beatAt = now;
                if (store.beat(node, NODE_TIMEOUT_MILLIS) && !reported.isEmpty()) {
                    // silent too long (a database outage, a stalled thread): the others may have taken this
                    // node's users off it; every user is reported again, until that went through
                    LOG.log(Level.INFO, "this node''s online users are reported again after a silence of more than {0} ms",
                            NODE_TIMEOUT_MILLIS);
                    reportAll = true;
                }
                store.reap(node, NODE_TIMEOUT_MILLIS);
            }
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "the online beat failed ({0}); it is tried again", e.toString());
        }
        try {
            if (reportAll) {
                reportAll();
            }
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "reporting this node''s users again failed ({0}); it is tried again", e.toString());
        }
        for (Map.Entry<String, Long> d : due.entrySet()) {
            if (d.getValue() <= now && due.remove(d.getKey(), d.getValue())) {
                report(d.getKey(), now);
            }
        }
    }

    /** Each user this node reported is reported again: gone ones off it now, those here back on it. */
    private void reportAll() {
        for (String user : Set.copyOf(reported)) {
            if (!connected.containsKey(user)) {
                store.report(user, node, false); // gone meanwhile: its report may not have gone through
                reported.remove(user);
            }
        }
        reported.clear(); // those still here are reported anew (a reaped row is written again)
        connected.keySet().forEach(user -> due.put(user, 0L));
        reportAll = false;
    }

    private void report(String user, long now) {
        boolean here = connected.containsKey(user);
        if (here == reported.contains(user)) {
            return; // back within the debounce, or gone before it was reported
        }
        try {
            store.report(user, node, here);
            if (here) {
                reported.add(user);
            } else {
                reported.remove(user);
            }
        } catch (RuntimeException e) {
            due.putIfAbsent(user, now + RETRY_MILLIS); // the database logged its outage; the report waits for it
        }
    }

    /**
     * Stops (this node's connections are closed already). Alone, its users are taken off it now; in
     * a cluster ({@code handOver}) the other nodes take them off after the debounce, as for any
     * closed connection: those who reconnected to another node meanwhile stay online, no news.
     */
    public void close(boolean handOver) {
        executor.execute(() -> {
            try {
                if (handOver) {
                    store.leave(node, NODE_TIMEOUT_MILLIS, debounceMillis);
                } else {
                    for (String user : Set.copyOf(reported)) {
                        store.report(user, node, false);
                    }
                }
            } catch (RuntimeException e) {
                return; // the other nodes, or this one at its next start, take them off
            }
            reported.clear();
        });
        executor.shutdown();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
