package dev.chat.store;

import dev.chat.auth.SessionStore;
import dev.chat.auth.UserStoreUnavailableException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Sessions in the database, shared by every node: a row of {@code sessions} per login and a row of
 * {@code refresh_tokens} per refresh token it was given, by hash. A rotation is a compare-and-set
 * on the session's generation, so of two rotations of one token only one wins. The token hashes of
 * a session's last {@link #KEPT_GENERATIONS} generations are kept, so the reuse of any of them is
 * recognised; a revoked session's are deleted (its tokens are worthless), and an expired session
 * goes with all of its.
 */
public final class JdbcSessionStore implements SessionStore {
    /** Refreshes every 15 minutes for 30 days are under 3 000: a stolen token's reuse is caught for days. */
    static final int KEPT_GENERATIONS = 1000;

    private static final String INSERT_SESSION = "INSERT INTO sessions (id, user_name, created_at, expires_at, generation)"
            + " VALUES (?, ?, ?, ?, 0)";
    private static final String INSERT_TOKEN = "INSERT INTO refresh_tokens (token_hash, session_id, generation, created_at)"
            + " VALUES (?, ?, ?, ?)";
    private static final String FIND = "SELECT s.id, s.user_name, s.generation, s.expires_at, s.revoked_at, t.generation"
            + " FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id WHERE t.token_hash = ?";
    private static final String ADVANCE = "UPDATE sessions SET generation = generation + 1"
            + " WHERE id = ? AND generation = ? AND revoked_at IS NULL AND expires_at > ?";
    private static final String PRUNE = "DELETE FROM refresh_tokens WHERE session_id = ? AND generation < ?";
    private static final String ACTIVE = "SELECT 1 FROM sessions WHERE id = ? AND revoked_at IS NULL AND expires_at > ?";
    private static final String REVOKE = "UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL AND expires_at > ?";
    private static final String FORGET_TOKENS = "DELETE FROM refresh_tokens WHERE session_id = ?";
    private static final String ACTIVE_OF_USER = "SELECT id FROM sessions WHERE user_name = ? AND revoked_at IS NULL AND expires_at > ?";
    private static final String EXPIRED = "SELECT id FROM sessions WHERE expires_at <= ? ORDER BY expires_at LIMIT ?";
    private static final String DELETE_SESSION = "DELETE FROM sessions WHERE id = ?";

    private final Database db;

    public JdbcSessionStore(Database db) {
        this.db = db;
    }

    @Override
    public void create(String id, String user, String tokenHash, long now, long expiresAt) {
        inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement(INSERT_SESSION)) {
                ps.setString(1, id);
                ps.setString(2, user);
                ps.setLong(3, now);
                ps.setLong(4, expiresAt);
                ps.executeUpdate();
            }
            insertToken(c, tokenHash, id, 0, now);
            return null;
        });
    }

    @Override
    public Optional<Found> find(String tokenHash) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(FIND)) {
            ps.setString(1, tokenHash);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                rs.getLong(5);
                boolean revoked = !rs.wasNull();
                Session s = new Session(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4), revoked);
                return Optional.of(new Found(s, rs.getLong(6)));
            }
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    @Override
    public boolean rotate(String id, long generation, String newHash, long now) {
        return inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement(ADVANCE)) {
                ps.setString(1, id);
                ps.setLong(2, generation);
                ps.setLong(3, now);
                if (ps.executeUpdate() != 1) {
                    return false;
                }
            }
            insertToken(c, newHash, id, generation + 1, now);
            try (PreparedStatement ps = c.prepareStatement(PRUNE)) {
                ps.setString(1, id);
                ps.setLong(2, generation + 1 - KEPT_GENERATIONS);
                ps.executeUpdate();
            }
            return true;
        });
    }

    @Override
    public boolean active(String id, long now) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(ACTIVE)) {
            ps.setString(1, id);
            ps.setLong(2, now);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    @Override
    public boolean revoke(String id, long now) {
        return inTransaction(c -> revoke(c, id, now));
    }

    @Override
    public List<String> revokeAll(String user, String except, long now) {
        return inTransaction(c -> {
            List<String> ids = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(ACTIVE_OF_USER)) {
                ps.setString(1, user);
                ps.setLong(2, now);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        ids.add(rs.getString(1));
                    }
                }
            }
            List<String> revoked = new ArrayList<>();
            for (String id : ids) {
                if (!id.equals(except) && revoke(c, id, now)) {
                    revoked.add(id);
                }
            }
            return revoked;
        });
    }

    @Override
    public int deleteExpired(long now, int max) {
        return inTransaction(c -> {
            List<String> ids = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(EXPIRED)) {
                ps.setLong(1, now);
                ps.setInt(2, max);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        ids.add(rs.getString(1));
                    }
                }
            }
            for (String id : ids) {
                forgetTokens(c, id);
                try (PreparedStatement ps = c.prepareStatement(DELETE_SESSION)) {
                    ps.setString(1, id);
                    ps.executeUpdate();
                }
            }
            return ids.size();
        });
    }

    private static boolean revoke(Connection c, String id, long now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(REVOKE)) {
            ps.setLong(1, now);
            ps.setString(2, id);
            ps.setLong(3, now);
            if (ps.executeUpdate() != 1) {
                return false;
            }
        }
        forgetTokens(c, id);
        return true;
    }

    private static void forgetTokens(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(FORGET_TOKENS)) {
            ps.setString(1, id);
            ps.executeUpdate();
        }
    }

    private static void insertToken(Connection c, String hash, String id, long generation, long now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(INSERT_TOKEN)) {
            ps.setString(1, hash);
            ps.setString(2, id);
            ps.setLong(3, generation);
            ps.setLong(4, now);
            ps.executeUpdate();
        }
    }

    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private <T> T inTransaction(Work<T> work) {
        try (Connection c = db.connection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    private UserStoreUnavailableException unavailable(SQLException e) {
        db.failed(e);
        return new UserStoreUnavailableException(e);
    }
}
