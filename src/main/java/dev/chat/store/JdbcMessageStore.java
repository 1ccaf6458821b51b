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
    private static final String AFTER = "SELECT seq, sender, client_id, text, accepted_at, origin_connection FROM messages"
            + " WHERE room = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?";
    private static final String BEFORE = "SELECT seq, sender, client_id, text, accepted_at, origin_connection FROM messages"
            + " WHERE room = ? AND seq < ? AND seq <= ? ORDER BY seq DESC LIMIT ?";

    private final Database db;
    private final GroupCommit writer;

    public JdbcMessageStore(Database db, Clock clock, Duration dedupeWindow, ChatMetrics metrics) {
        this.db = db;
        this.writer = new GroupCommit(db, clock, dedupeWindow.toMillis(), metrics);
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
            return new HistorySlice(messages, latest, latest == 0 ? 0 : oldest(c, room));
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    private static RoomEvent.Posted message(String room, ResultSet rs) throws SQLException {
        return new RoomEvent.Posted(room, rs.getString(2), rs.getString(4), rs.getString(3), rs.getString(6), null,
                rs.getLong(1), rs.getLong(5), 0);
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
