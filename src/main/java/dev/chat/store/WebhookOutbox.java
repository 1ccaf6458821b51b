package dev.chat.store;

import dev.chat.event.WebhookEvent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The webhooks' outbox, table {@code webhook_outbox}: the stores write each event in the transaction
 * that stores what it describes ({@link #transaction}, or {@link #append} inside one of their own),
 * so an event exists exactly when its cause was committed, once for the whole cluster; the node that
 * holds the lease ({@link #lease}) reads them in id order ({@link #next}) and deletes what the receiver
 * took ({@link #delete}). Off (no {@code CHAT_WEBHOOK_URL}), nothing is written and a store's
 * statements run as they always did, one autocommit each.
 *
 * <p>Ids come from the database (a sequence, SQLite's AUTOINCREMENT) and are never handed out twice.
 * A room's messages, edits and deletes are written under its row lock, so their ids follow their
 * commits; a membership change takes no such lock, and one that commits concurrently with a message
 * may hold the lower id but become visible later, and so be sent after it (the README says: dedupe
 * by the set of ids, not by the highest one). Two transactions that do not overlap are always in order.
 */
public final class WebhookOutbox {
    private static final String INSERT = "INSERT INTO webhook_outbox (happened_at, type, room, user_name, seq, target, reply_to,"
            + " text, owner, is_private) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String NEXT = "SELECT id, happened_at, type, room, user_name, seq, target, reply_to, text, owner, is_private"
            + " FROM webhook_outbox ORDER BY id LIMIT ?";
    private static final String DELETE = "DELETE FROM webhook_outbox WHERE id = ?";
    /** The oldest event by the primary key, not by a scan of {@code happened_at} (no index): ids follow time closely. */
    private static final String BACKLOG = "SELECT COUNT(*), (SELECT happened_at FROM webhook_outbox ORDER BY id LIMIT 1) FROM webhook_outbox";
    private static final String LEASE = "INSERT INTO webhook_lease (name, holder, expires_at) VALUES ('webhook', ?, ?)"
            + " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at"
            + " WHERE webhook_lease.holder = excluded.holder OR webhook_lease.expires_at < ?";
    private static final String RELEASE = "UPDATE webhook_lease SET expires_at = 0 WHERE name = 'webhook' AND holder = ?";

    /** An event read back with its id: the id the receiver dedupes by. */
    public record Queued(long id, WebhookEvent event) { }

    /** How far behind the outbox is: events waiting, and when the oldest of them happened (0 for none). */
    public record Backlog(long events, long oldestAt) { }

    /** Work of a store in one transaction; what it hands {@code emit} is written with it. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection c, Consumer<WebhookEvent> emit) throws SQLException;
    }

    private static final WebhookOutbox OFF = new WebhookOutbox(null);

    private final Database db;

    private WebhookOutbox(Database db) {
        this.db = db;
    }

    /** The outbox of {@code db}: events are recorded from now on. */
    public static WebhookOutbox of(Database db) {
        return new WebhookOutbox(db);
    }

    /** No webhooks: nothing is recorded. */
    public static WebhookOutbox off() {
        return OFF;
    }

    public boolean enabled() {
        return db != null;
    }

    /**
     * Runs {@code work} on {@code c}, in one transaction with the events it emits when the outbox is on
     * (a failure rolls both back), as it is (autocommit) when off. The first statement of a work should
     * write, so SQLite takes its write lock at once (a transaction that read first may not get it).
     */
    public <T> T transaction(Connection c, Work<T> work) throws SQLException {
        if (!enabled()) {
            return work.run(c, e -> { });
        }
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            List<WebhookEvent> events = new ArrayList<>(2);
            T result = work.run(c, events::add);
            append(c, events);
            c.commit();
            return result;
        } catch (SQLException | RuntimeException e) {
            try {
                c.rollback();
            } catch (SQLException ignored) {
                // the connection is gone, the transaction with it
            }
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
    }

    /** Writes {@code events} in the caller's transaction on {@code c}, in order; nothing when off. */
    public void append(Connection c, List<WebhookEvent> events) throws SQLException {
        if (!enabled() || events.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement(INSERT)) {
            for (WebhookEvent e : events) {
                bind(ps, e);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static void bind(PreparedStatement ps, WebhookEvent e) throws SQLException {
        String room = null;
        String user = null;
        Long seq = null;
        Long target = null;
        Long replyTo = null;
        String text = null;
        String owner = null;
        Boolean isPrivate = null;
        if (e instanceof WebhookEvent.MessageCreated m) {
            room = m.room();
            user = m.from();
            seq = m.seq();
            text = m.text();
            replyTo = m.replyTo();
        } else if (e instanceof WebhookEvent.MessageEdited m) {
            room = m.room();
            user = m.from();
            seq = m.seq();
            target = m.target();
            text = m.text();
        } else if (e instanceof WebhookEvent.MessageDeleted m) {
            room = m.room();
            user = m.by();
            seq = m.seq();
            target = m.target();
        } else if (e instanceof WebhookEvent.MemberJoined m) {
            room = m.room();
            user = m.user();
        } else if (e instanceof WebhookEvent.MemberLeft m) {
            room = m.room();
            user = m.user();
        } else if (e instanceof WebhookEvent.RoomCreated r) {
            room = r.room();
            owner = r.owner();
            isPrivate = r.isPrivate();
        } else if (e instanceof WebhookEvent.UserOnline u) {
            user = u.user();
        } else if (e instanceof WebhookEvent.UserOffline u) {
            user = u.user();
        }
        ps.setLong(1, e.ts());
        ps.setString(2, e.type());
        ps.setString(3, room);
        ps.setString(4, user);
        setLong(ps, 5, seq);
        setLong(ps, 6, target);
        setLong(ps, 7, replyTo);
        ps.setString(8, text);
        ps.setString(9, owner);
        if (isPrivate == null) {
            ps.setNull(10, Types.BOOLEAN);
        } else {
            ps.setBoolean(10, isPrivate);
        }
    }

    private static void setLong(PreparedStatement ps, int index, Long value) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.BIGINT);
        } else {
            ps.setLong(index, value);
        }
    }

    /** The oldest {@code max} events, in id order. */
    public List<Queued> next(int max) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(NEXT)) {
            ps.setInt(1, max);
            List<Queued> queued = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    WebhookEvent e = read(rs);
                    if (e != null) {
                        queued.add(new Queued(rs.getLong(1), e));
                    }
                }
            }
            return queued;
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    /** A row as its event; null for a type this version does not know (a newer node wrote it: it is left to that node). */
    private static WebhookEvent read(ResultSet rs) throws SQLException {
        long ts = rs.getLong(2);
        String room = rs.getString(4);
        String user = rs.getString(5);
        long seq = rs.getLong(6);
        long target = rs.getLong(7);
        long reply = rs.getLong(8);
        Long replyTo = rs.wasNull() ? null : reply;
        String text = rs.getString(9);
        return switch (rs.getString(3)) {
            case "message.created" -> new WebhookEvent.MessageCreated(room, seq, user, text, replyTo, ts);
            case "message.edited" -> new WebhookEvent.MessageEdited(room, seq, target, user, text, ts);
            case "message.deleted" -> new WebhookEvent.MessageDeleted(room, seq, target, user, ts);
            case "member.joined" -> new WebhookEvent.MemberJoined(room, user, ts);
            case "member.left" -> new WebhookEvent.MemberLeft(room, user, ts);
            case "room.created" -> new WebhookEvent.RoomCreated(room, rs.getString(10), rs.getBoolean(11), ts);
            case "user.online" -> new WebhookEvent.UserOnline(user, ts);
            case "user.offline" -> new WebhookEvent.UserOffline(user, ts);
            default -> null;
        };
    }

    /** Deletes what the receiver took (or what was dropped). */
    public void delete(List<Long> ids) {
        if (ids.isEmpty()) {
            return;
        }
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(DELETE)) {
            for (long id : ids) {
                ps.setLong(1, id);
                ps.addBatch();
            }
            ps.executeBatch();
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    public Backlog backlog() {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(BACKLOG); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return new Backlog(rs.getLong(1), rs.getLong(2));
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    /**
     * Takes or renews the lease for {@code node} until {@code now + millis}: true when {@code node}
     * holds it now (it had it, or the holder's lease had expired). One row, so one holder.
     */
    public boolean lease(String node, long now, long millis) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(LEASE)) {
            ps.setString(1, node);
            ps.setLong(2, now + millis);
            ps.setLong(3, now);
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    /** Gives the lease up (a node that stops), so another takes it at once rather than when it expires. */
    public void release(String node) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(RELEASE)) {
            ps.setString(1, node);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    private StoreUnavailableException unavailable(SQLException e) {
        db.failed(e);
        return new StoreUnavailableException("the webhook outbox is unavailable: " + e.getMessage(), e);
    }
}
