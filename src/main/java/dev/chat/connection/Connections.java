package dev.chat.connection;

import dev.chat.auth.Principal;
import dev.chat.metrics.ChatMetrics;
import dev.chat.protocol.CloseCode;
import dev.chat.protocol.ServerFrame;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Every open connection of this node: admission against the node, per-user and per-address limits, the
 * heartbeat that pings and reaps, and the graceful close of all of them at shutdown. When a
 * connection ends, however it ends, its rooms are told through the {@link Connection.ConnectionListener}
 * given here (the room registry).
 */
public final class Connections implements Connection.ConnectionListener {
    private static final System.Logger LOG = System.getLogger(Connections.class.getName());

    private final String nodeId;
    private final Connection.Limits limits;
    private final int maxConnections;
    private final int maxPerUser;
    private final long idleTimeoutNanos;
    private final java.time.Duration tokenLeeway;
    private final java.time.Clock clock;
    private final Connection.ConnectionListener rooms;
    private final Executor closer;
    /** Starts each outbox's first send after an idle spell (see {@link Outbox}). */
    private final Executor writer;
    private final ChatMetrics metrics;
    private final ConcurrentHashMap<String, Connection> open = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, AtomicInteger> perUser = new ConcurrentHashMap<>();
    /** Open connections per client address; an entry lives while its address has one, so the table is bounded by them. */
    private final CappedCounts perAddress;
    /** The client address each open connection was counted under (connections of no known address are not here). */
    private final ConcurrentHashMap<String, String> addressOf = new ConcurrentHashMap<>();
    private final AtomicInteger count = new AtomicInteger();
    private final AtomicLong ids = new AtomicLong();
    private volatile boolean accepting = true;
    private final ExpiryTimers expiry;

    /** Told once when each admitted connection opens and once when it closes, by its user (the webhooks' online users). */
    public interface UserListener {
        UserListener NONE = new UserListener() {
            @Override
            public void connected(String user) {
            }

            @Override
            public void disconnected(String user) {
            }
        };

        void connected(String user);

        void disconnected(String user);
    }

    private volatile UserListener users = UserListener.NONE;

    public Connections(String nodeId, Connection.Limits limits, int maxConnections, int maxPerUser, int maxPerAddress,
                       long idleTimeoutNanos, java.time.Duration tokenLeeway, java.time.Clock clock,
                       Connection.ConnectionListener rooms, Executor closer, Executor writer, ChatMetrics metrics) {
        this.writer = writer;
        this.nodeId = nodeId;
        this.limits = limits;
        this.maxConnections = maxConnections;
        this.maxPerUser = maxPerUser;
        this.perAddress = new CappedCounts(maxPerAddress);
        this.idleTimeoutNanos = idleTimeoutNanos;
        this.tokenLeeway = tokenLeeway;
        this.clock = clock;
        this.rooms = rooms;
        this.closer = closer;
        this.metrics = metrics;
        this.expiry = new ExpiryTimers(tokenLeeway, clock);
    }

    /** Set once while the node is wired, before the first admission. */
    public void tellUsers(UserListener listener) {
        this.users = listener;
    }

    /** The outcome of {@link #admit}: a connection, or the close code that refuses it. */
    public sealed interface Admission {
        record Admitted(Connection connection) implements Admission { }

        record Refused(CloseCode code) implements Admission { }
    }

    /**
     * Admits an authenticated connection unless this node, this user or this client address is at its
     * limit, or the node is stopping. {@code first} (the welcome) is queued before the connection
     * becomes visible to anything that delivers to its user: a direct message, invitation or kick
     * fanned out at that moment used to reach the client before its welcome.
     *
     * @param address the client's address ({@code ClientAddress}); null when unknown, then not limited by address
     */
    public Admission admit(Principal principal, String address, String traceId, FrameSink sink, ServerFrame first) {
        if (!accepting) {
            return new Admission.Refused(CloseCode.GOING_AWAY);
        }
        if (count.incrementAndGet() > maxConnections) {
            count.decrementAndGet();
            metrics.limitHit(CloseCode.SERVER_FULL.label());
            return new Admission.Refused(CloseCode.SERVER_FULL);
        }
        AtomicInteger mine = perUser.computeIfAbsent(principal.user(), u -> new AtomicInteger());
        if (mine.incrementAndGet() > maxPerUser) {
            release(principal.user());
            count.decrementAndGet();
            metrics.limitHit(CloseCode.TOO_MANY_USER_CONNECTIONS.label());
            return new Admission.Refused(CloseCode.TOO_MANY_USER_CONNECTIONS);
        }
        if (address != null && !perAddress.acquire(address)) {
            release(principal.user());
            count.decrementAndGet();
            metrics.limitHit(CloseCode.TOO_MANY_ADDRESS_CONNECTIONS.label());
            return new Admission.Refused(CloseCode.TOO_MANY_ADDRESS_CONNECTIONS);
        }
        String id = nodeId + "-" + Long.toString(ids.incrementAndGet(), 36);
        if (address != null) {
            addressOf.put(id, address);
        }
        Connection c = new Connection(id, principal, traceId, sink, limits, this, closer, writer, metrics, System.nanoTime());
        rooms.opening(c, first);
        // the user listener hears of the connection before anything can close it (the expiry timer, a
        // session's end): a close it heard of first would leave the user counted online for good
        users.connected(c.user());
        open.put(id, c);
        expiry.arm(c);
        rooms.opened(c);
        metrics.connected();
        LOG.log(Level.INFO, "open {0}", c);
        return new Admission.Admitted(c);
    }

    @Override
    public void closed(Connection connection, int code) {
        if (open.remove(connection.id()) != null) {
            expiry.disarm(connection);
            release(connection.user());
            String address = addressOf.remove(connection.id());
            if (address != null) {
                perAddress.release(address);
            }
            count.decrementAndGet();
            users.disconnected(connection.user());
            metrics.disconnected(code);
            LOG.log(Level.INFO, "close {0} code {1}", connection, Integer.toString(code));
        }
        rooms.closed(connection, code);
    }

    @Override
    public void refreshed(Connection connection) {
        if (open.containsKey(connection.id())) {
            expiry.arm(connection);
        }
    }

    private void release(String user) {
        perUser.computeIfPresent(user, (u, n) -> n.decrementAndGet() <= 0 ? null : n);
    }

    /**
     * One heartbeat tick: closes connections that neither sent a frame or pong nor took a write for
     * longer than the idle timeout (4002), and pings the rest. Expired tokens are closed by their own
     * timers ({@link ExpiryTimers}); the tick closes any it still finds (4501) as a second line.
     */
    public void heartbeat() {
        long now = System.nanoTime();
        java.time.Instant wallNow = clock.instant();
        for (Connection c : open.values()) {
            if (c.principal().expiresAt().plus(tokenLeeway).isBefore(wallNow)) {
                LOG.log(Level.DEBUG, "token expired {0}", c);
                c.close(CloseCode.TOKEN_EXPIRED);
            } else if (now - Math.max(c.lastSeenNanos(), c.outbox().lastWriteNanos()) > idleTimeoutNanos) {
                // a reader of a busy room sends nothing; its pong may wait behind megabytes in the socket
                // buffers, but every completed write shows it reads (a dead peer stops them within its buffers)
                LOG.log(Level.DEBUG, "idle timeout {0}", c);
                c.close(CloseCode.IDLE_TIMEOUT);
            } else {
                c.outbox().checkProgress();
                c.outbox().ping();
            }
        }
    }

    /**
     * Stops admitting, lets every outbox drain, then closes each connection with 1001 Going Away;
     * waits at most {@code graceMillis} for them to go, then closes what is left at once.
     */
    public void shutdown(long graceMillis) throws InterruptedException {
        accepting = false;
        List<Connection> closing = new ArrayList<>(open.values());
        for (Connection c : closing) {
            c.closeAfterFlush(CloseCode.GOING_AWAY);
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(graceMillis);
        while (closing.stream().anyMatch(c -> !c.outbox().isDone()) && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(10);
        }
        for (Connection c : closing) {
            if (!c.outbox().isDone()) {
                LOG.log(Level.WARNING, "{0} did not drain within the shutdown grace; closing it", c);
                c.forceClose(CloseCode.GOING_AWAY);
            }
        }
        expiry.close();
    }

    public int size() {
        return count.get();
    }

    public Collection<Connection> all() {
        return open.values();
    }
}
