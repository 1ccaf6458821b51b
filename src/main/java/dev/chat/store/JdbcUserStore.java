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
 * Users in the database, shared by every node: local ones (a password hash, origin {@code local})
 * and the identity provider's once they connected (no password, origin {@code provider}). Names
 * once seen to exist are remembered (users are never deleted), so the handshake's "does this
 * user exist" and a direct message's "is there such a user" need no query for a known name; a
 * name not found is never remembered, so a registration on another node is seen at once.
 */
public final class JdbcUserStore implements UserStore {
    private static final String CREATE = "INSERT INTO users (name, password_hash, origin, created_at) VALUES (?, ?, 'local', ?)"
            + " ON CONFLICT (name) DO NOTHING";
    private static final String HASH = "SELECT password_hash FROM users WHERE name = ?";
    private static final String SEEN = "INSERT INTO users (name, password_hash, origin, created_at) VALUES (?, NULL, 'provider', ?)"
            + " ON CONFLICT (name) DO NOTHING";
    private static final String SET_HASH = "UPDATE users SET password_hash = ? WHERE name = ? AND password_hash IS NOT NULL";
    private static final String KNOWN = "SELECT 1 FROM users WHERE name = ?";
    private static final String BANNED = "SELECT 1 FROM bans WHERE user_name = ?";
    private static final String BAN = "INSERT INTO bans (user_name, banned_by, created_at) VALUES (?, ?, ?) ON CONFLICT (user_name) DO NOTHING";
    private static final String UNBAN = "DELETE FROM bans WHERE user_name = ?";

    private final Database db;
    private final Clock clock;
    private static final int MAX_REMEMBERED = 100_000;
    /** Names seen to exist (any origin), and those of them with a password here. */
    private final Set<String> known = ConcurrentHashMap.newKeySet();
    private final Set<String> local = ConcurrentHashMap.newKeySet();

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
            if (created) {
                rememberLocal(username);
            }
            return created;
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    @Override
    public boolean setPasswordHash(String username, String passwordHash) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(SET_HASH)) {
            ps.setString(1, passwordHash);
            ps.setString(2, username);
            return ps.executeUpdate() == 1;
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
                String hash = rs.getString(1);
                if (hash != null) {
                    rememberLocal(username);
                }
                return Optional.ofNullable(hash);
            }
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    @Override
    public boolean exists(String username) {
        return local.contains(username) || passwordHash(username).isPresent();
    }

    @Override
    public boolean known(String username) {
        if (known.contains(username)) {
            return true;
        }
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(KNOWN)) {
            ps.setString(1, username);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    remember(username);
                    return true;
                }
                return false;
            }
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    @Override
    public void providerUserSeen(String username) {
        if (known.contains(username)) {
            return;
        }
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(SEEN)) {
            ps.setString(1, username);
            ps.setLong(2, clock.millis());
            ps.executeUpdate();
            remember(username);
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    /** Names known to exist; past {@link #MAX_REMEMBERED} the memory starts over (it only saves lookups). */
    private void remember(String username) {
        if (known.size() >= MAX_REMEMBERED) {
            known.clear();
        }
        known.add(username);
    }

    private void rememberLocal(String username) {
        remember(username);
        if (local.size() >= MAX_REMEMBERED) {
            local.clear();
        }
        local.add(username);
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

    /** Never remembered: a ban made on another node holds here at the next check. One primary-key lookup. */
    @Override
    public boolean banned(String username) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(BANNED)) {
            ps.setString(1, username);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    @Override
    public boolean setBanned(String username, boolean banned, String by) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(banned ? BAN : UNBAN)) {
            ps.setString(1, username);
            if (banned) {
                ps.setString(2, by);
                ps.setLong(3, clock.millis());
            }
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    private UserStoreUnavailableException unavailable(SQLException e) {
        db.failed(e);
        return new UserStoreUnavailableException(e);
    }
}
