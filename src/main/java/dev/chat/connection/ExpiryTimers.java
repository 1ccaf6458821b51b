package dev.chat.connection;

import dev.chat.protocol.CloseCode;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Closes a connection with 4501 when its token expires (its {@code exp} plus the leeway, the point
 * where the handshake would refuse it too), within a few milliseconds rather than at the next
 * heartbeat, up to a ping interval (25 s) later: a stolen or revoked token must not outlive its
 * expiry by that much. One timer per connection, replaced when a {@code refresh} moves the expiry
 * and cancelled (and removed from the queue) when the connection closes. One thread for all; what
 * it runs is the close, which hands the work to the connection's closer.
 */
final class ExpiryTimers implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ExpiryTimers.class.getName());

    private final Duration leeway;
    private final Clock clock;
    private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "chat-token-expiry");
        t.setDaemon(true);
        return t;
    });
    private final ConcurrentHashMap<Connection, ScheduledFuture<?>> timers = new ConcurrentHashMap<>();

    ExpiryTimers(Duration leeway, Clock clock) {
        this.leeway = leeway;
        this.clock = clock;
        timer.setRemoveOnCancelPolicy(true); // a closed connection's timer must not wait out a token's life in the queue
    }

    /** (Re)arms the connection's timer for its current token. */
    void arm(Connection c) {
        long delay = c.principal().expiresAt().plus(leeway).toEpochMilli() - clock.millis();
        ScheduledFuture<?> next;
        try {
            next = timer.schedule(() -> expire(c), Math.max(0, delay) + 1, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            return; // stopping: every connection is being closed anyway
        }
        ScheduledFuture<?> before = timers.put(c, next);
        if (before != null) {
            before.cancel(false);
        }
    }

    void disarm(Connection c) {
        ScheduledFuture<?> before = timers.remove(c);
        if (before != null) {
            before.cancel(false);
        }
    }

    private void expire(Connection c) {
        // a refresh may have raced this run: only a token that is still past its time closes the connection
        if (!c.principal().expiresAt().plus(leeway).isBefore(clock.instant())) {
            return;
        }
        timers.remove(c);
        LOG.log(Level.DEBUG, "token expired {0}", c);
        c.close(CloseCode.TOKEN_EXPIRED);
    }

    int armed() {
        return timers.size();
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
