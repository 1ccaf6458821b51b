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
    private static final String EXPIRED = "SELECT room, seq FROM messages WHERE accepted_at < ? ORDER BY accepted_at LIMIT " + BATCH;
    /** A message goes with what hangs on it: the rows that count its mentions and hold its reactions. */
    private static final String[] DELETES = {
        "DELETE FROM mentions WHERE room = ? AND seq = ?",
        "DELETE FROM reactions WHERE room = ? AND seq = ?",
        "DELETE FROM messages WHERE room = ? AND seq = ?",
    };

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
            int n = deleteBatch(cutoff);
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

    /** One batch, in one transaction: the oldest expired messages and their mentions and reactions. */
    private int deleteBatch(long cutoff) throws SQLException {
        try (Connection c = db.connection()) {
            java.util.List<String> rooms = new java.util.ArrayList<>();
            java.util.List<Long> seqs = new java.util.ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(EXPIRED)) {
                ps.setLong(1, cutoff);
                try (java.sql.ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rooms.add(rs.getString(1));
                        seqs.add(rs.getLong(2));
                    }
                }
            }
            if (rooms.isEmpty()) {
                return 0;
            }
            boolean auto = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                for (String sql : DELETES) {
                    try (PreparedStatement ps = c.prepareStatement(sql)) {
                        for (int i = 0; i < rooms.size(); i++) {
                            ps.setString(1, rooms.get(i));
                            ps.setLong(2, seqs.get(i));
                            ps.addBatch();
                        }
                        ps.executeBatch();
                    }
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(auto);
            }
            return rooms.size();
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
