package dev.chat.store;

import dev.chat.event.WebhookEvent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Room ownership and invitations in the database: the {@code rooms} row's owner and private flag,
 * and {@code invitations}. While the database is away, a node still admits joins to rooms it has
 * seen to be public and refuses (unavailable) everything else: it fails closed, never open.
 */
public final class JdbcRoomAccess implements RoomAccess {
    /** Claims a room nobody owns and nobody wrote in yet; 1 row changed means created. */
    private static final String CREATE = "INSERT INTO rooms (name, owner, is_private, last_seq, created_at) VALUES (?, ?, ?, 0, ?)"
            + " ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, is_private = excluded.is_private"
            + " WHERE rooms.owner IS NULL AND rooms.last_seq = 0";
    private static final String ACL = "SELECT owner, is_private, last_seq,"
            + " (SELECT COUNT(*) FROM invitations i WHERE i.room = r.name AND i.user_name = ?) FROM rooms r WHERE r.name = ?";
    private static final String OWNER = "SELECT owner FROM rooms WHERE name = ?";
    private static final String INFO = "SELECT owner, is_private, last_seq FROM rooms WHERE name = ?";
    private static final String HOLD = "INSERT INTO rooms (name, owner, is_private, last_seq, created_at) VALUES (?, ?, FALSE, 0, ?)"
            + " ON CONFLICT (name) DO UPDATE SET owner = excluded.owner WHERE rooms.owner IS NULL";
    /** Direct conversations ('@a+b') record who started them as their owner, so both counts read the owner index. */
    private static final String OWNED = "SELECT COUNT(*) FROM rooms WHERE owner = ? AND name NOT LIKE '@%'";
    private static final String EXISTS = "SELECT 1 FROM rooms WHERE name = ?";
    private static final String STARTED = "SELECT COUNT(*) FROM rooms WHERE owner = ? AND name LIKE '@%' AND created_at > ?";
    private static final String START = "INSERT INTO rooms (name, owner, is_private, last_seq, created_at) VALUES (?, ?, FALSE, 0, ?)"
            + " ON CONFLICT (name) DO NOTHING";
    private static final long DAY_MILLIS = 24L * 60 * 60 * 1000;
    private static final String INVITED_BY = "SELECT COUNT(*) FROM invitations WHERE invited_by = ?";
    private static final String IS_PRIVATE = "SELECT is_private FROM rooms WHERE name = ?";
    private static final String INVITE = "INSERT INTO invitations (room, user_name, invited_by, created_at) VALUES (?, ?, ?, ?)"
            + " ON CONFLICT (room, user_name) DO NOTHING";
    private static final String REVOKE = "DELETE FROM invitations WHERE room = ? AND user_name = ?";
    /** Rooms remembered as public for an outage; past this many the memory starts over. */
    private static final int MAX_REMEMBERED = 100_000;

    private final Database db;
    private final Clock clock;
    private final ConcurrentHashMap<String, Boolean> seenPublic = new ConcurrentHashMap<>();

    private final WebhookOutbox outbox;

    public JdbcRoomAccess(Database db, Clock clock) {
        this(db, clock, WebhookOutbox.off());
    }

    /** With webhooks: a room's creation commits its {@code room.created} with it. */
    public JdbcRoomAccess(Database db, Clock clock, WebhookOutbox outbox) {
        this.db = db;
        this.clock = clock;
        this.outbox = outbox;
    }

    @Override
    public boolean create(String room, String owner, boolean isPrivate) {
        try (Connection c = db.connection()) {
            long now = clock.millis();
            boolean created = outbox.transaction(c, (tx, emit) -> {
                try (PreparedStatement ps = tx.prepareStatement(CREATE)) {
                    ps.setString(1, room);
                    ps.setString(2, owner);
                    ps.setBoolean(3, isPrivate);
                    ps.setLong(4, now);
                    if (ps.executeUpdate() != 1) {
                        return false;
                    }
                }
                emit.accept(new WebhookEvent.RoomCreated(room, owner, isPrivate, now));
                return true;
            });
            if (created) {
                remember(room, !isPrivate);
            }
            return created;
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    @Override
    public boolean holdPublic(String room) {
        try (Connection c = db.connection()) {
            try (PreparedStatement ps = c.prepareStatement(HOLD)) {
                ps.setString(1, room);
                ps.setString(2, SERVER);
                ps.setLong(3, clock.millis());
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement(IS_PRIVATE)) {
                ps.setString(1, room);
                try (ResultSet rs = ps.executeQuery()) {
                    boolean isPublic = rs.next() && !rs.getBoolean(1);
                    if (isPublic) {
                        remember(room, true);
                    }
                    return isPublic;
                }
            }
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    @Override
    public boolean mayJoin(String room, String user) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(ACL)) {
            ps.setString(1, user);
            ps.setString(2, room);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return true; // nobody owns it and nobody wrote in it: public, but it may still be created private
                }
                boolean isPrivate = rs.getBoolean(2);
                // only a room that can no longer be created (it has an owner or messages) keeps its flag for good
                if (rs.getString(1) != null || rs.getLong(3) > 0) {
                    remember(room, !isPrivate);
                }
                return !isPrivate || user.equals(rs.getString(1)) || rs.getLong(4) > 0;
            }
        } catch (SQLException e) {
            if (Boolean.TRUE.equals(seenPublic.get(room))) {
                return true; // seen public once it could no longer become private
            }
            throw unavailable(e);
        }
    }

    private void remember(String room, boolean isPublic) {
        if (seenPublic.size() >= MAX_REMEMBERED) {
            seenPublic.clear();
        }
        seenPublic.put(room, isPublic);
    }

    @Override
    public boolean invite(String room, String by, String user) {
        try (Connection c = db.connection()) {
            try (PreparedStatement ps = c.prepareStatement(OWNER)) {
                ps.setString(1, room);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next() || !by.equals(rs.getString(1))) {
                        return false;
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement(INVITE)) {
                ps.setString(1, room);
                ps.setString(2, user);
                ps.setString(3, by);
                ps.setLong(4, clock.millis());
                ps.executeUpdate();
            }
            return true;
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    @Override
    public boolean startDirect(String room, String user, int maxPerDay) {
        try (Connection c = db.connection()) {
            try (PreparedStatement ps = c.prepareStatement(EXISTS)) {
                ps.setString(1, room);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        return true;
                    }
                }
            }
            long now = clock.millis();
            try (PreparedStatement ps = c.prepareStatement(STARTED)) {
                ps.setString(1, user);
                ps.setLong(2, now - DAY_MILLIS);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getInt(1) >= maxPerDay) {
                        return false;
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement(START)) {
                ps.setString(1, room);
                ps.setString(2, user);
                ps.setLong(3, now);
                ps.executeUpdate();
            }
            return true;
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    @Override
    public int roomsOwnedBy(String user) {
        return count(OWNED, user);
    }

    @Override
    public int invitationsBy(String user) {
        return count(INVITED_BY, user);
    }

    private int count(String sql, String user) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, user);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    @Override
    public String ownerOf(String room) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(OWNER)) {
            ps.setString(1, room);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    @Override
    public RoomInfo info(String room) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(INFO)) {
            ps.setString(1, room);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new RoomInfo(rs.getString(1), rs.getBoolean(2), rs.getLong(3)) : null;
            }
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    @Override
    public void revoke(String room, String user) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(REVOKE)) {
            ps.setString(1, room);
            ps.setString(2, user);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    private StoreUnavailableException unavailable(SQLException e) {
        db.failed(e);
        return new StoreUnavailableException("rooms cannot be read or changed: " + e.getMessage(), e);
    }
}
