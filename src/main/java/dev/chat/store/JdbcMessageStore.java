package dev.chat.store;

import dev.chat.event.RoomEvent;
import dev.chat.metrics.ChatMetrics;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Messages in the database ({@link Database}): appends go through the node's {@link GroupCommit},
 * reads straight to the pool. A read takes the room's latest seq first and then only messages up
 * to it, so a slice is consistent without a transaction: whatever it lists below its latest seq
 * is everything the room holds there.
 */
public final class JdbcMessageStore implements MessageStore, AutoCloseable {
    private static final String LATEST = "SELECT last_seq FROM rooms WHERE name = ?";
    private static final String OLDEST = "SELECT MIN(seq) FROM messages WHERE room = ?";
    private static final String COLUMNS = "SELECT seq, sender, client_id, text, accepted_at, origin_connection,"
            + " kind, target, reply_to, emoji, reaction_on, mentions, edited_at, deleted FROM messages";
    private static final String AFTER = COLUMNS + " WHERE room = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?";
    private static final String BEFORE = COLUMNS + " WHERE room = ? AND seq < ? AND seq <= ? ORDER BY seq DESC LIMIT ?";
    private static final String TARGET = "SELECT sender, deleted FROM messages WHERE room = ? AND seq = ? AND kind = 'message'";
    /** The reactions of the messages of one page (its seq range), oldest first, so each emoji lists its users in order. */
    private static final String REACTIONS = "SELECT seq, emoji, user_name FROM reactions WHERE room = ? AND seq >= ? AND seq <= ?"
            + " ORDER BY seq, at, emoji, user_name";

    private final Database db;
    private final GroupCommit writer;

    public JdbcMessageStore(Database db, Clock clock, Duration dedupeWindow, ChatMetrics metrics) {
        this(db, clock, dedupeWindow, metrics, WebhookOutbox.off());
    }

    /** With webhooks: every message, edit and delete commits its event with it ({@code outbox}). */
    public JdbcMessageStore(Database db, Clock clock, Duration dedupeWindow, ChatMetrics metrics, WebhookOutbox outbox) {
        this.db = db;
        this.writer = new GroupCommit(db, clock, dedupeWindow.toMillis(), metrics, outbox);
    }

    @Override
    public CompletableFuture<Appended> append(RoomEvent.Posted message) {
        return writer.submit(message);
    }

    @Override
    public HistorySlice after(String room, long afterSeq, int limit) {
        return read(room, AFTER, afterSeq, limit, false);
    }

    @Override
    public HistorySlice before(String room, long beforeSeq, int limit) {
        return read(room, BEFORE, beforeSeq, limit, true);
    }

    @Override
    public long latestSeq(String room) {
        try (Connection c = db.connection()) {
            return latest(c, room);
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    @Override
    public java.util.Map<String, Long> latestSeqs(java.util.Collection<String> rooms) {
        java.util.Map<String, Long> out = new java.util.HashMap<>();
        List<String> all = List.copyOf(rooms);
        try (Connection c = db.connection()) {
            for (int from = 0; from < all.size(); from += 500) {
                List<String> chunk = all.subList(from, Math.min(all.size(), from + 500));
                String marks = String.join(",", java.util.Collections.nCopies(chunk.size(), "?"));
                try (PreparedStatement ps = c.prepareStatement("SELECT name, last_seq FROM rooms WHERE name IN (" + marks + ")")) {
                    for (int i = 0; i < chunk.size(); i++) {
                        ps.setString(i + 1, chunk.get(i));
                    }
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            out.put(rs.getString(1), rs.getLong(2));
                        }
                    }
                }
            }
            return out;
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    private HistorySlice read(String room, String sql, long bound, int limit, boolean newestFirst) {
        try (Connection c = db.connection()) {
            long latest = latest(c, room);
            List<RoomEvent.Posted> messages = new ArrayList<>();
            if (limit > 0 && latest > 0) {
                try (PreparedStatement ps = c.prepareStatement(sql)) {
                    ps.setString(1, room);
                    ps.setLong(2, bound);
                    ps.setLong(3, latest);
                    ps.setInt(4, limit);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            messages.add(message(room, rs));
                        }
                    }
                }
            }
            if (newestFirst) {
                Collections.reverse(messages);
            }
            withReactions(c, room, messages);
            return new HistorySlice(messages, latest, latest == 0 ? 0 : oldest(c, room));
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    @Override
    public Target target(String room, long seq) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(TARGET)) {
            ps.setString(1, room);
            ps.setLong(2, seq);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new Target(rs.getString(1), rs.getBoolean(2)) : null;
            }
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    /** A row as the event it stores, a message with its current state; a plain message that never changed has no detail. */
    private static RoomEvent.Posted message(String room, ResultSet rs) throws SQLException {
        RoomEvent.Posted p = new RoomEvent.Posted(room, rs.getString(2), rs.getString(4), rs.getString(3), rs.getString(6), null,
                rs.getLong(1), rs.getLong(5), 0);
        String kind = rs.getString(7);
        long target = rs.getLong(8);
        Long replyTo = rs.getLong(9);
        if (rs.wasNull()) {
            replyTo = null;
        }
        String emoji = rs.getString(10);
        Boolean on = rs.getBoolean(11);
        if (rs.wasNull()) {
            on = null;
        }
        List<String> mentions = EventRows.split(rs.getString(12));
        Long edited = rs.getLong(13);
        if (rs.wasNull()) {
            edited = null;
        }
        boolean deleted = rs.getBoolean(14);
        if (RoomEvent.Detail.MESSAGE.equals(kind) && replyTo == null && mentions == null && edited == null && !deleted) {
            return p;
        }
        return p.withDetail(new RoomEvent.Detail(kind, target, replyTo, emoji, on, mentions, edited, deleted, null));
    }

    /** Puts each message's reactions, as they stand, on it (one query for the page). */
    private static void withReactions(Connection c, String room, List<RoomEvent.Posted> messages) throws SQLException {
        if (messages.isEmpty()) {
            return;
        }
        java.util.Map<Long, java.util.Map<String, List<String>>> bySeq = new java.util.HashMap<>();
        try (PreparedStatement ps = c.prepareStatement(REACTIONS)) {
            ps.setString(1, room);
            ps.setLong(2, messages.get(0).seq());
            ps.setLong(3, messages.get(messages.size() - 1).seq());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    bySeq.computeIfAbsent(rs.getLong(1), k -> new java.util.LinkedHashMap<>())
                            .computeIfAbsent(rs.getString(2), k -> new ArrayList<>()).add(rs.getString(3));
                }
            }
        }
        if (bySeq.isEmpty()) {
            return;
        }
        for (int i = 0; i < messages.size(); i++) {
            RoomEvent.Posted p = messages.get(i);
            java.util.Map<String, List<String>> reactions = bySeq.get(p.seq());
            if (reactions != null && RoomEvent.Detail.MESSAGE.equals(p.kind())) {
                RoomEvent.Detail d = p.details();
                messages.set(i, p.withDetail(d.withState(d.editedAt(), d.deleted(), reactions)));
            }
        }
    }

    private static long latest(Connection c, String room) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(LATEST)) {
            ps.setString(1, room);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        }
    }

    private static long oldest(Connection c, String room) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(OLDEST)) {
            ps.setString(1, room);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        }
    }

    private StoreUnavailableException unavailable(SQLException e) {
        db.failed(e);
        return new StoreUnavailableException("the history cannot be read: " + e.getMessage(), e);
    }

    /** Commits what is queued, then stops the writer. */
    @Override
    public void close() {
        writer.close();
    }
}
