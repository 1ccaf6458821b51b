package dev.chat.store;

import dev.chat.event.RoomEvent;
import dev.chat.metrics.ChatMetrics;
import java.lang.System.Logger.Level;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;

/**
 * The one writer of messages on a node ({@code chat-store-writer}): takes every message queued
 * since its last commit and commits them in one transaction (group commit), so under load a
 * commit costs one sync for many messages, and idle it costs one message's latency.
 *
 * <p>In the transaction each room's row is locked first, rooms in name order (two nodes' batches
 * can never deadlock), then resent ids are looked up, seqs taken and the messages inserted. The row
 * lock serializes the nodes of a cluster per room, which is what keeps a room's seqs gap-free and
 * its dedupe check race-free. Futures complete after the commit, in seq order, on
 * {@code chat-store-acks}: while it sends the acks and fans a batch out, this thread already
 * commits the next one. A bounded hand-over holds the writer back if the fan-out falls behind.
 */
final class GroupCommit implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(GroupCommit.class.getName());
    /** Messages in one transaction at most: a bigger one holds its room locks longer. */
    static final int MAX_BATCH = 512;
    /** Messages waiting for a commit at most; more fail at once (the database is far behind). */
    static final int MAX_QUEUED = 50_000;

    private static final String LOCK_ROOM = "INSERT INTO rooms (name, last_seq, created_at) VALUES (?, 0, ?)"
            + " ON CONFLICT (name) DO UPDATE SET last_seq = rooms.last_seq RETURNING last_seq";
    /**
     * Neither ORDER BY seq nor MIN(seq): with either, SQLite's planner walks the room's primary key
     * in seq order instead of the client-id index, a scan of the room per send. Within the window
     * a (sender, id) has at most one row (the room lock makes the check and the insert one step).
     */
    static final String FIND_SENT = "SELECT seq FROM messages WHERE room = ? AND sender = ? AND client_id = ?"
            + " AND accepted_at >= ? LIMIT 1";
    private static final String INSERT = "INSERT INTO messages (room, seq, sender, client_id, text, accepted_at, origin_connection)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?)";
    private static final String ADVANCE = "UPDATE rooms SET last_seq = ? WHERE name = ?";

    private record Pending(RoomEvent.Posted message, CompletableFuture<MessageStore.Appended> done) { }

    private final Database db;
    private final Clock clock;
    private final long dedupeWindowMillis;
    private final ChatMetrics metrics;
    private final BlockingQueue<Pending> queue = new ArrayBlockingQueue<>(MAX_QUEUED);
    private final Thread thread = new Thread(this::run, "chat-store-writer");
    /** Committed batches whose futures are still to complete, in commit order. */
    private final BlockingQueue<Runnable> completions = new ArrayBlockingQueue<>(64);
    private final Thread completer = new Thread(this::complete, "chat-store-acks");
    private volatile boolean running = true;

    GroupCommit(Database db, Clock clock, long dedupeWindowMillis, ChatMetrics metrics) {
        this.db = db;
        this.clock = clock;
        this.dedupeWindowMillis = dedupeWindowMillis;
        this.metrics = metrics;
        thread.setDaemon(true);
        thread.start();
        completer.setDaemon(true);
        completer.start();
    }

    /** On {@code chat-store-acks}: completes committed batches in order, until the writer has stopped and all are done. */
    private void complete() {
        while (thread.isAlive() || !completions.isEmpty()) {
            try {
                Runnable next = completions.poll(100, java.util.concurrent.TimeUnit.MILLISECONDS);
                if (next != null) {
                    next.run();
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "a committed batch's follow-up failed", e);
            }
        }
    }

    /** Hands a batch's completions over in order; waits while the hand-over is full (back-pressure). */
    private void handOver(Runnable completion) {
        try {
            completions.put(completion);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            completion.run(); // stopping: complete here rather than leave futures hanging
        }
    }

    CompletableFuture<MessageStore.Appended> submit(RoomEvent.Posted message) {
        CompletableFuture<MessageStore.Appended> done = new CompletableFuture<>();
        if (!running) {
            done.completeExceptionally(new StoreUnavailableException("the store is closed", null));
        } else if (!db.healthy()) {
            done.completeExceptionally(new StoreUnavailableException("the database is unreachable", null));
        } else if (!queue.offer(new Pending(message, done))) {
            done.completeExceptionally(new StoreUnavailableException("the database is behind: " + MAX_QUEUED + " messages wait", null));
        }
        return done;
    }

    private void run() {
        List<Pending> batch = new ArrayList<>(MAX_BATCH);
        while (running || !queue.isEmpty()) {
            try {
                Pending first = queue.poll(100, java.util.concurrent.TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, MAX_BATCH - 1);
                commit(batch);
            } catch (InterruptedException e) {
                if (!running) {
                    break;
                }
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "the store writer failed a batch", e);
                List<Pending> failed = List.copyOf(batch);
                handOver(() -> fail(failed, new StoreUnavailableException("the store failed: " + e, e)));
            } finally {
                batch.clear();
            }
        }
    }

    private void commit(List<Pending> batch) {
        List<MessageStore.Appended> results = null;
        try (Connection c = db.connection()) {
            c.setAutoCommit(false);
            try {
                List<MessageStore.Appended> written = write(c, batch);
                c.commit();
                results = written; // committed: nothing after this point may report the batch as failed
            } catch (SQLException | RuntimeException e) {
                rollback(c);
                throw e;
            } finally {
                try {
                    c.setAutoCommit(true);
                } catch (SQLException e) {
                    if (results == null) {
                        throw e;
                    }
                }
            }
        } catch (SQLException e) {
            if (results != null) {
                LOG.log(Level.DEBUG, "closing a connection after a commit failed: {0}", e.toString());
            } else {
                db.failed(e);
                List<Pending> failed = List.copyOf(batch);
                StoreUnavailableException why = new StoreUnavailableException("the message may not have been stored: " + e.getMessage(), e);
                handOver(() -> fail(failed, why));
                return;
            }
        }
        metrics.committed(batch.size());
        List<Pending> done = List.copyOf(batch);
        List<MessageStore.Appended> outcomes = results;
        handOver(() -> {
            for (int i = 0; i < done.size(); i++) {
                try {
                    done.get(i).done().complete(outcomes.get(i));
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "a committed message's follow-up failed", e);
                }
            }
        });
    }

    private static void rollback(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // the connection is gone; the transaction with it
        }
    }

    private static void fail(List<Pending> batch, StoreUnavailableException e) {
        for (Pending p : batch) {
            p.done().completeExceptionally(e);
        }
    }

    /** The batch's results in batch order; rooms are locked in name order. */
    private List<MessageStore.Appended> write(Connection c, List<Pending> batch) throws SQLException {
        Map<String, List<Integer>> byRoom = new TreeMap<>();
        for (int i = 0; i < batch.size(); i++) {
            byRoom.computeIfAbsent(batch.get(i).message().room(), r -> new ArrayList<>()).add(i);
        }
        MessageStore.Appended[] results = new MessageStore.Appended[batch.size()];
        long now = clock.millis();
        try (PreparedStatement lock = c.prepareStatement(LOCK_ROOM);
             PreparedStatement find = c.prepareStatement(FIND_SENT);
             PreparedStatement insert = c.prepareStatement(INSERT);
             PreparedStatement advance = c.prepareStatement(ADVANCE)) {
            for (Map.Entry<String, List<Integer>> e : byRoom.entrySet()) {
                String room = e.getKey();
                long seq = lockRoom(lock, room, now);
                long first = seq;
                Map<String, Long> sentHere = new HashMap<>();
                for (int i : e.getValue()) {
                    RoomEvent.Posted m = batch.get(i).message();
                    String key = m.clientId() == null ? null : m.from() + '\0' + m.clientId();
                    Long earlier = key == null ? null : sentHere.get(key);
                    if (key != null && earlier == null) {
                        earlier = findSent(find, m, now - dedupeWindowMillis);
                    }
                    if (earlier != null) {
                        results[i] = new MessageStore.Appended(m.withSeq(earlier), true);
                        continue;
                    }
                    seq++;
                    results[i] = new MessageStore.Appended(m.withSeq(seq), false);
                    if (key != null) {
                        sentHere.put(key, seq);
                    }
                    insert.setString(1, room);
                    insert.setLong(2, seq);
                    insert.setString(3, m.from());
                    insert.setString(4, m.clientId());
                    insert.setString(5, m.text());
                    insert.setLong(6, Instant.parse(m.ts()).toEpochMilli());
                    insert.setString(7, m.originConnection());
                    insert.addBatch();
                }
                if (seq > first) {
                    advance.setLong(1, seq);
                    advance.setString(2, room);
                    advance.addBatch();
                }
            }
            insert.executeBatch();
            advance.executeBatch();
        }
        return List.of(results);
    }

    private static long lockRoom(PreparedStatement lock, String room, long now) throws SQLException {
        lock.setString(1, room);
        lock.setLong(2, now);
        try (ResultSet rs = lock.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static Long findSent(PreparedStatement find, RoomEvent.Posted m, long since) throws SQLException {
        find.setString(1, m.room());
        find.setString(2, m.from());
        find.setString(3, m.clientId());
        find.setLong(4, since);
        try (ResultSet rs = find.executeQuery()) {
            return rs.next() ? rs.getLong(1) : null;
        }
    }

    /** Commits what is queued, completes it, then stops both threads. */
    @Override
    public void close() {
        running = false;
        try {
            thread.join(5000);
            // a submit that raced the writer's last look at the queue: answered, never left hanging
            List<Pending> late = new ArrayList<>();
            queue.drainTo(late);
            fail(late, new StoreUnavailableException("the store is closed", null));
            completer.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
