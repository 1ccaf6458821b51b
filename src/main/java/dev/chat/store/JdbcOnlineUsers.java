package dev.chat.store;

import dev.chat.event.WebhookEvent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * Who is online across the cluster, for {@code user.online} and {@code user.offline} and the server
 * API's {@code online} ({@link #isOnline}): each node says
 * which users it has ({@link #report}), a row per node and user in {@code online_nodes}; the user's
 * row in {@code online_users} holds what was reported last and is locked by every change, so of two
 * nodes changing one user at once the second sees the first's result, and each change of the
 * cluster-wide state writes its event exactly once, in the same transaction. A node that dies cannot
 * say its users left: every node beats ({@link #beat}) and any node reaps the rows of a node whose
 * beat is older than the timeout ({@link #reap}).
 */
public final class JdbcOnlineUsers {
    /** Locks the user's row (made if new) and reads what was reported last. Writes first, for SQLite's lock. */
    private static final String LOCK = "INSERT INTO online_users (user_name, online) VALUES (?, FALSE)"
            + " ON CONFLICT (user_name) DO UPDATE SET online = online_users.online RETURNING online";
    private static final String HERE = "INSERT INTO online_nodes (user_name, node) VALUES (?, ?) ON CONFLICT (user_name, node) DO NOTHING";
    private static final String GONE = "DELETE FROM online_nodes WHERE user_name = ? AND node = ?";
    private static final String NODES = "SELECT COUNT(*) FROM online_nodes WHERE user_name = ?";
    private static final String SET = "UPDATE online_users SET online = ? WHERE user_name = ?";
    private static final String BEAT = "INSERT INTO webhook_nodes (node, seen_at) VALUES (?, ?)"
            + " ON CONFLICT (node) DO UPDATE SET seen_at = excluded.seen_at";
    private static final String ORPHANS = "SELECT o.user_name, o.node FROM online_nodes o WHERE o.node <> ? AND NOT EXISTS"
            + " (SELECT 1 FROM webhook_nodes w WHERE w.node = o.node AND w.seen_at >= ?) LIMIT 1000";
    private static final String ANYWHERE = "SELECT 1 FROM online_nodes o JOIN webhook_nodes w ON w.node = o.node"
            + " WHERE o.user_name = ? AND w.seen_at >= ? LIMIT 1";
    private static final String LAST_BEAT = "SELECT seen_at FROM webhook_nodes WHERE node = ?";
    private static final String OWN = "SELECT user_name FROM online_nodes WHERE node = ?";
    private static final String FORGET_NODES = "DELETE FROM webhook_nodes WHERE seen_at < ?"
            + " AND NOT EXISTS (SELECT 1 FROM online_nodes o WHERE o.node = webhook_nodes.node)";

    private final Database db;
    private final WebhookOutbox outbox;
    private final Clock clock;

    public JdbcOnlineUsers(Database db, WebhookOutbox outbox, Clock clock) {
        this.db = db;
        this.outbox = outbox;
        this.clock = clock;
    }

    /**
     * {@code node} has {@code user} connected ({@code here}) or no longer has; the user's event is
     * written when that changes whether any node has them.
     */
    public void report(String user, String node, boolean here) {
        try (Connection c = db.connection()) {
            if (!outbox.enabled()) {
                place(c, user, node, here); // no webhooks (the server API's online only): the node's row is all there is
                return;
            }
            outbox.transaction(c, (tx, emit) -> {
                boolean reported;
                try (PreparedStatement ps = tx.prepareStatement(LOCK)) {
                    ps.setString(1, user);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        reported = rs.getBoolean(1);
                    }
                }
                place(tx, user, node, here);
                boolean online;
                try (PreparedStatement ps = tx.prepareStatement(NODES)) {
                    ps.setString(1, user);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        online = rs.getLong(1) > 0;
                    }
                }
                if (online != reported) {
                    try (PreparedStatement ps = tx.prepareStatement(SET)) {
                        ps.setBoolean(1, online);
                        ps.setString(2, user);
                        ps.executeUpdate();
                    }
                    long now = clock.millis();
                    emit.accept(online ? new WebhookEvent.UserOnline(user, now) : new WebhookEvent.UserOffline(user, now));
                }
                return null;
            });
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    /** Writes or deletes the row that says {@code node} has {@code user}. */
    private static void place(Connection c, String user, String node, boolean here) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(here ? HERE : GONE)) {
            ps.setString(1, user);
            ps.setString(2, node);
            ps.executeUpdate();
        }
    }

    /**
     * {@code node} is alive; answers whether its previous beat was older than {@code timeoutMillis} (or
     * there was none), so another node may have taken its users off it: they must be reported again.
     */
    public boolean beat(String node, long timeoutMillis) {
        long now = clock.millis();
        try (Connection c = db.connection()) {
            long last = -1;
            try (PreparedStatement ps = c.prepareStatement(LAST_BEAT)) {
                ps.setString(1, node);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        last = rs.getLong(1);
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement(BEAT)) {
                ps.setString(1, node);
                ps.setLong(2, now);
                ps.executeUpdate();
            }
            return last < 0 || last < now - timeoutMillis;
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    /**
     * A stopping node leaves its users to the others: its beat is set back so that they take its
     * users off it {@code afterMillis} from now, unless they reconnected elsewhere meanwhile (a
     * rolling restart is no news to a webhook).
     */
    public void leave(String node, long timeoutMillis, long afterMillis) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(BEAT)) {
            ps.setString(1, node);
            ps.setLong(2, clock.millis() - timeoutMillis + afterMillis);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    /**
     * Whether a node that beat within {@code aliveMillis} has {@code user} connected (as it last
     * reported): the server API's {@code online} for a user connected only to another node.
     */
    public boolean isOnline(String user, long aliveMillis) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(ANYWHERE)) {
            ps.setString(1, user);
            ps.setLong(2, clock.millis() - aliveMillis);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    /** The users whose rows say {@code node} has them: what a node restarted under the same name had before. */
    public List<String> usersOf(String node) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(OWN)) {
            ps.setString(1, node);
            List<String> users = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    users.add(rs.getString(1));
                }
            }
            return users;
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    /**
     * Takes the users of nodes that have not beaten for {@code timeoutMillis} off them (their
     * {@code user.offline} follows where no other node has them), {@code self} aside; answers how many.
     * Each row is its own {@link #report}, so a reaper that dies halfway leaves the rest to the next.
     */
    public int reap(String self, long timeoutMillis) {
        long before = clock.millis() - timeoutMillis;
        List<String[]> orphans = new ArrayList<>();
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(ORPHANS)) {
            ps.setString(1, self);
            ps.setLong(2, before);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    orphans.add(new String[] {rs.getString(1), rs.getString(2)});
                }
            }
        } catch (SQLException e) {
            throw unavailable(e);
        }
        for (String[] o : orphans) {
            report(o[0], o[1], false);
        }
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(FORGET_NODES)) {
            ps.setLong(1, before);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw unavailable(e);
        }
        return orphans.size();
    }

    private StoreUnavailableException unavailable(SQLException e) {
        db.failed(e);
        return new StoreUnavailableException("who is online cannot be read or changed: " + e.getMessage(), e);
    }
}
