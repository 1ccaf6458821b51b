package dev.chat.store;

import java.lang.System.Logger.Level;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Deletes messages older than {@code CHAT_RETENTION}, in batches of {@link #BATCH} rows with a
 * pause between them, so a first run over years of history never holds a long transaction or
 * starves the writer. Rooms keep their {@code last_seq}: seqs never start over. Runs on
 * {@code chat-retention} a minute after start and then every {@link #EVERY}; every node may run
 * it (deleting the same rows twice is harmless).
 */
public final class Retention implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Retention.class.getName());
    static final int BATCH = 1000;
    static final Duration EVERY = Duration.ofMinutes(10);
    private static final String DELETE = "DELETE FROM messages WHERE (room, seq) IN"
            + " (SELECT room, seq FROM messages WHERE accepted_at < ? LIMIT " + BATCH + ")";

    private final Database db;
    private final Duration keep;
    private final Clock clock;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "chat-retention");
        t.setDaemon(true);
        return t;
    });

    public Retention(Database db, Duration keep, Clock clock) {
        this.db = db;
        this.keep = keep;
        this.clock = clock;
    }

    public void start() {
        timer.scheduleWithFixedDelay(this::runQuietly, 60, EVERY.toSeconds(), TimeUnit.SECONDS);
    }

    private void runQuietly() {
        try {
            long deleted = run();
            if (deleted > 0) {
                LOG.log(Level.INFO, "retention: deleted {0} messages older than {1}", deleted, keep);
            }
        } catch (SQLException e) {
            db.failed(e); // the next run tries again
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "retention run failed", e);
        }
    }

    /** One pass: every message older than the retention, a batch at a time. Returns how many went. */
    public long run() throws SQLException {
        long cutoff = clock.millis() - keep.toMillis();
        long total = 0;
        while (true) {
            int n;
            try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(DELETE)) {
                ps.setLong(1, cutoff);
                n = ps.executeUpdate();
            }
            total += n;
            if (n < BATCH) {
                return total;
            }
            try {
                Thread.sleep(50); // let the writer and the readers in between batches
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return total;
            }
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
