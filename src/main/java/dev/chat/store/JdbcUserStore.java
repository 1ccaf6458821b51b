package dev.chat.store;

import dev.chat.auth.UserStore;
import dev.chat.auth.UserStoreUnavailableException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Registered users in the database, shared by every node. Names once seen to exist are
 * remembered (users are never deleted), so the handshake's "does this user exist" needs no query
 * for a known user; a name not found is never remembered, so a registration on another node is
 * seen at once.
 */
public final class JdbcUserStore implements UserStore {
    private static final String CREATE = "INSERT INTO users (name, password_hash, origin, created_at) VALUES (?, ?, 'local', ?)"
            + " ON CONFLICT (name) DO NOTHING";
    private static final String HASH = "SELECT password_hash FROM users WHERE name = ?";

    private final Database db;
    private final Clock clock;
    private final Set<String> known = ConcurrentHashMap.newKeySet();

    public JdbcUserStore(Database db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    @Override
    public boolean create(String username, String passwordHash) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(CREATE)) {
            ps.setString(1, username);
            ps.setString(2, passwordHash);
            ps.setLong(3, clock.millis());
            boolean created = ps.executeUpdate() == 1;
            known.add(username);
            return created;
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    @Override
    public Optional<String> passwordHash(String username) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(HASH)) {
            ps.setString(1, username);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                known.add(username);
                return Optional.ofNullable(rs.getString(1));
            }
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    @Override
    public boolean exists(String username) {
        return known.contains(username) || passwordHash(username).isPresent();
    }

    /**
     * Adds users from an older store (name to password hash); names already here are left as they
     * are. Returns how many were new. Idempotent, so it may run at every start.
     */
    public int importUsers(Map<String, String> users) {
        if (users.isEmpty()) {
            return 0;
        }
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(CREATE)) {
            c.setAutoCommit(false);
            int added = 0;
            int pending = 0;
            for (Map.Entry<String, String> u : users.entrySet()) {
                ps.setString(1, u.getKey());
                ps.setString(2, u.getValue());
                ps.setLong(3, clock.millis());
                ps.addBatch();
                if (++pending == 1000) {
                    added += sum(ps.executeBatch());
                    pending = 0;
                }
            }
            added += sum(ps.executeBatch());
            c.commit();
            c.setAutoCommit(true);
            return added;
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    private static int sum(int[] counts) {
        int n = 0;
        for (int c : counts) {
            n += c > 0 ? c : 0; // SUCCESS_NO_INFO (-2) would count nothing: only exact counts are reported
        }
        return n;
    }

    private UserStoreUnavailableException unavailable(SQLException e) {
        db.failed(e);
        return new UserStoreUnavailableException(e);
    }
}
