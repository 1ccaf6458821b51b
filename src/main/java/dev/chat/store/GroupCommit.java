package dev.chat.store;

import dev.chat.event.RoomEvent;
import dev.chat.event.WebhookEvent;
import dev.chat.metrics.ChatMetrics;
import java.lang.System.Logger.Level;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
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
    /**
     * Text waiting for a commit (the batch being written included) at most, in chars: 50 000 texts
     * of CHAT_MAX_TEXT could be 800 MiB, so a database that falls behind would fill the heap before
     * the count bound is reached. 8 Mi chars is 16 MiB; more fail at once like a full queue.
     */
    static final long MAX_QUEUED_CHARS = 8L << 20;

    private static final String LOCK_ROOM = "INSERT INTO rooms (name, last_seq, created_at) VALUES (?, 0, ?)"
            + " ON CONFLICT (name) DO UPDATE SET last_seq = rooms.last_seq RETURNING last_seq";
    /**
     * Neither ORDER BY seq nor MIN(seq): with either, SQLite's planner walks the room's primary key
     * in seq order instead of the client-id index, a scan of the room per send. Within the window
     * a (sender, id) has at most one row (the room lock makes the check and the insert one step).
     */
    static final String FIND_SENT = "SELECT seq FROM messages WHERE room = ? AND sender = ? AND client_id = ?"
            + " AND accepted_at >= ? LIMIT 1";
    /**
     * PostgreSQL: all of a room's ids in a batch in one round trip (a lookup per send was one more
     * round trip per message on the writer's path). A subquery per id, not a join: planned while the
     * table is empty and kept as the generic plan, a join scans the room for every batch; the subquery
     * is always the one-row index lookup. SQLite runs in this process, so one lookup per id costs it
     * less than building a statement for the batch would.
     */
    static final String FIND_SENT_MANY = "SELECT k.sender, k.client_id, (SELECT m.seq FROM messages m"
            + " WHERE m.room = ? AND m.sender = k.sender AND m.client_id = k.client_id AND m.accepted_at >= ? LIMIT 1)"
            + " FROM unnest(?::varchar[], ?::varchar[]) AS k(sender, client_id)";
    private static final String INSERT = "INSERT INTO messages (room, seq, sender, client_id, text, accepted_at, origin_connection,"
            + " kind, target, reply_to, emoji, reaction_on, mentions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String ADVANCE = "UPDATE rooms SET last_seq = ? WHERE name = ?";

    private record Pending(RoomEvent.Posted message, CompletableFuture<MessageStore.Appended> done) { }

    private final Database db;
    private final Clock clock;
    private final long dedupeWindowMillis;
    private final ChatMetrics metrics;
    /** Webhooks' events of the batch are written in its transaction (nothing when off). */
    private final WebhookOutbox outbox;
    private final BlockingQueue<Pending> queue = new ArrayBlockingQueue<>(MAX_QUEUED);
    private final java.util.concurrent.atomic.AtomicLong queuedChars = new java.util.concurrent.atomic.AtomicLong();
    private final Thread thread = new Thread(this::run, "chat-store-writer");
    /** Committed batches whose futures are still to complete, in commit order. */
    private final BlockingQueue<Runnable> completions = new ArrayBlockingQueue<>(64);
    private final Thread completer = new Thread(this::complete, "chat-store-acks");
    private volatile boolean running = true;

    GroupCommit(Database db, Clock clock, long dedupeWindowMillis, ChatMetrics metrics, WebhookOutbox outbox) {
        this.db = db;
        this.outbox = outbox;
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
        } else {
            int chars = message.text().length();
            if (queuedChars.addAndGet(chars) > MAX_QUEUED_CHARS) {
                queuedChars.addAndGet(-chars);
                done.completeExceptionally(new StoreUnavailableException("the database is behind: " + MAX_QUEUED_CHARS
                        + " characters of text wait", null));
            } else if (!queue.offer(new Pending(message, done))) {
                queuedChars.addAndGet(-chars);
                done.completeExceptionally(new StoreUnavailableException("the database is behind: " + MAX_QUEUED + " messages wait", null));
            }
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
                long chars = 0;
                for (Pending p : batch) {
                    chars += p.message().text().length();
                }
                queuedChars.addAndGet(-chars);
                batch.clear();
            }
        }
        closeSession();
    }

    private void commit(List<Pending> batch) {
        long started = System.nanoTime();
        List<MessageStore.Appended> results;
        try {
            Session s = session();
            try {
                results = write(s, batch);
                s.connection().commit();
            } catch (SQLException | RuntimeException e) {
                rollback(s.connection());
                closeSession();
                throw e;
            }
        } catch (SQLException e) {
            db.failed(e);
            List<Pending> failed = List.copyOf(batch);
            StoreUnavailableException why = new StoreUnavailableException("the message may not have been stored: " + e.getMessage(), e);
            handOver(() -> fail(failed, why));
            return;
        }
        // committed: nothing after this point may report the batch as failed
        metrics.committed(batch.size(), System.nanoTime() - started);
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

    /**
     * The writer's connection, with its statements prepared once: preparing them for every commit
     * was a sixth of the writer's time on SQLite, which caches no statements. Renewed after a
     * failure, after an outage, and every {@link #SESSION_MILLIS}, so the pool can still retire it.
     */
    private record Session(Connection connection, PreparedStatement lock, PreparedStatement find,
                           PreparedStatement insert, PreparedStatement advance, long openedAt, long outages) { }

    private static final long SESSION_MILLIS = 30_000;
    /** Idle this long, the connection is checked before use, as the pool checks one it hands out. */
    private static final long IDLE_CHECK_MILLIS = 1000;
    private Session session;
    private long lastUsed;

    private Session session() throws SQLException {
        long now = System.currentTimeMillis();
        if (session != null && (now - session.openedAt() > SESSION_MILLIS || session.outages() != db.outages()
                || now - lastUsed > IDLE_CHECK_MILLIS && !session.connection().isValid(1))) {
            closeSession(); // a database restarted while we were idle is no outage: a new connection serves
        }
        lastUsed = now;
        if (session == null) {
            long outages = db.outages();
            Connection c = db.connection();
            try {
                c.setAutoCommit(false);
                String find = db.kind() == Database.Kind.POSTGRESQL ? FIND_SENT_MANY : FIND_SENT;
                session = new Session(c, c.prepareStatement(LOCK_ROOM), c.prepareStatement(find),
                        c.prepareStatement(INSERT), c.prepareStatement(ADVANCE), now, outages);
            } catch (SQLException | RuntimeException e) {
                rollback(c);
                closeQuietly(c);
                throw e;
            }
        }
        return session;
    }

    private void closeSession() {
        if (session != null) {
            Session s = session;
            session = null;
            rollback(s.connection());
            closeQuietly(s.connection()); // its statements with it
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException e) {
            LOG.log(Level.DEBUG, "closing the writer's connection failed: {0}", e.toString());
        }
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
    private List<MessageStore.Appended> write(Session s, List<Pending> batch) throws SQLException {
        Map<String, List<Integer>> byRoom = new TreeMap<>();
        for (int i = 0; i < batch.size(); i++) {
            byRoom.computeIfAbsent(batch.get(i).message().room(), r -> new ArrayList<>()).add(i);
        }
        MessageStore.Appended[] results = new MessageStore.Appended[batch.size()];
        long now = clock.millis();
        PreparedStatement lock = s.lock();
        PreparedStatement insert = s.insert();
        PreparedStatement advance = s.advance();
        boolean pendingInserts = false;
        List<WebhookEvent> events = outbox.enabled() ? new ArrayList<>() : null;
        for (Map.Entry<String, List<Integer>> e : byRoom.entrySet()) {
            String room = e.getKey();
            long seq = lockRoom(lock, room, now);
            long first = seq;
            // (sender, id) -> its seq: sent before (within the window), or earlier in this batch
            Map<String, Long> sent = findSent(s, room, batch, e.getValue(), now - dedupeWindowMillis);
            for (int i : e.getValue()) {
                RoomEvent.Posted m = batch.get(i).message();
                String key = m.clientId() == null ? null : key(m.from(), m.clientId());
                Long earlier = key == null ? null : sent.get(key);
                if (earlier != null) {
                    results[i] = new MessageStore.Appended(m.withSeq(earlier), true);
                    continue;
                }
                seq++;
                RoomEvent.Posted committed = m.withSeq(seq);
                if (EventRows.needsApply(m)) {
                    if (!RoomEvent.Detail.MESSAGE.equals(m.kind()) && pendingInserts) {
                        insert.executeBatch(); // a change acts on the rows before it, this batch's included
                        pendingInserts = false;
                    }
                    committed = EventRows.apply(s.connection(), m, seq);
                }
                results[i] = new MessageStore.Appended(committed, false);
                if (key != null) {
                    sent.put(key, seq);
                }
                RoomEvent.Detail d = committed.details();
                insert.setString(1, room);
                insert.setLong(2, seq);
                insert.setString(3, m.from());
                insert.setString(4, m.clientId());
                insert.setString(5, m.text());
                insert.setLong(6, m.ts());
                insert.setString(7, m.originConnection());
                insert.setString(8, d.kind());
                setLong(insert, 9, d.target() == 0 ? null : d.target());
                setLong(insert, 10, d.replyTo());
                insert.setString(11, d.emoji());
                if (d.on() == null) {
                    insert.setNull(12, java.sql.Types.BOOLEAN);
                } else {
                    insert.setBoolean(12, d.on());
                }
                insert.setString(13, EventRows.joined(d.mentions()));
                insert.addBatch();
                pendingInserts = true;
                if (events != null) {
                    WebhookEvent event = webhookEvent(committed);
                    if (event != null) {
                        events.add(event);
                    }
                }
            }
            if (seq > first) {
                advance.setLong(1, seq);
                advance.setString(2, room);
                advance.addBatch();
            }
        }
        insert.executeBatch();
        advance.executeBatch();
        if (events != null) {
            outbox.append(s.connection(), events);
        }
        return List.of(results);
    }

    /** What a webhook reports of a committed event of a room: a reaction is no news to it (null). */
    private static WebhookEvent webhookEvent(RoomEvent.Posted m) {
        RoomEvent.Detail d = m.details();
        return switch (d.kind()) {
            case RoomEvent.Detail.MESSAGE -> new WebhookEvent.MessageCreated(m.room(), m.seq(), m.from(), m.text(),
                    d.replyTo(), m.ts());
            case RoomEvent.Detail.EDIT -> new WebhookEvent.MessageEdited(m.room(), m.seq(), d.target(), m.from(),
                    m.text(), m.ts());
            case RoomEvent.Detail.DELETE -> new WebhookEvent.MessageDeleted(m.room(), m.seq(), d.target(), m.from(), m.ts());
            default -> null;
        };
    }

    private static void setLong(PreparedStatement ps, int index, Long value) throws SQLException {
        if (value == null) {
            ps.setNull(index, java.sql.Types.BIGINT);
        } else {
            ps.setLong(index, value);
        }
    }

    private static long lockRoom(PreparedStatement lock, String room, long now) throws SQLException {
        lock.setString(1, room);
        lock.setLong(2, now);
        try (ResultSet rs = lock.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static String key(String sender, String clientId) {
        return sender + '\0' + clientId;
    }

    /** The seqs of the room's messages in {@code indexes} that were sent before, since {@code since}, by key. */
    private Map<String, Long> findSent(Session s, String room, List<Pending> batch, List<Integer> indexes, long since)
            throws SQLException {
        Map<String, Long> found = new HashMap<>();
        List<String> senders = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (int i : indexes) {
            RoomEvent.Posted m = batch.get(i).message();
            if (m.clientId() != null) {
                senders.add(m.from());
                ids.add(m.clientId());
            }
        }
        if (ids.isEmpty()) {
            return found;
        }
        PreparedStatement find = s.find();
        if (db.kind() == Database.Kind.POSTGRESQL) {
            find.setString(1, room);
            find.setLong(2, since);
            find.setArray(3, s.connection().createArrayOf("varchar", senders.toArray()));
            find.setArray(4, s.connection().createArrayOf("varchar", ids.toArray()));
            try (ResultSet rs = find.executeQuery()) {
                while (rs.next()) {
                    long seq = rs.getLong(3);
                    if (!rs.wasNull()) {
                        found.putIfAbsent(key(rs.getString(1), rs.getString(2)), seq);
                    }
                }
            }
            return found;
        }
        for (int k = 0; k < ids.size(); k++) {
            String key = key(senders.get(k), ids.get(k));
            if (found.containsKey(key)) {
                continue;
            }
            find.setString(1, room);
            find.setString(2, senders.get(k));
            find.setString(3, ids.get(k));
            find.setLong(4, since);
            try (ResultSet rs = find.executeQuery()) {
                if (rs.next()) {
                    found.put(key, rs.getLong(1));
                }
            }
        }
        return found;
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
