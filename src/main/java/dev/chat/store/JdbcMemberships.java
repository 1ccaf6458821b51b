package dev.chat.store;

import dev.chat.event.RoomEvent;
import dev.chat.event.WebhookEvent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * Memberships and read positions in the {@code memberships} table. The counts read only what lies
 * after the read position, through the primary keys: {@code messages (room, seq)} for unread
 * (messages of others, not deleted: no edit, delete or reaction is news),
 * {@code mentions (user_name, room, seq)} for mentions, each stopped at {@link #COUNT_CAP} rows,
 * so a user's 500 rooms cost 500 short index range scans, however long their histories are.
 * {@code JdbcMembershipsTest} pins that plan on PostgreSQL.
 */
public final class JdbcMemberships implements Memberships {
    private static final String LATEST = "COALESCE((SELECT r.last_seq FROM rooms r WHERE r.name = m.room), 0)";
    private static final String STATE = "SELECT m.room, " + LATEST + ", m.read_seq,"
            + " (SELECT COUNT(*) FROM (SELECT 1 FROM messages x WHERE x.room = m.room AND x.seq > m.read_seq"
            + " AND x.sender <> m.user_name AND x.kind = 'message' AND NOT x.deleted LIMIT " + COUNT_CAP + ") u),"
            + " (SELECT COUNT(*) FROM (SELECT 1 FROM mentions n WHERE n.user_name = m.user_name AND n.room = m.room"
            + " AND n.seq > m.read_seq LIMIT " + COUNT_CAP + ") v)"
            + " FROM memberships m WHERE m.user_name = ?";
    static final String STATES = STATE + " ORDER BY m.room";
    private static final String ONE_STATE = STATE + " AND m.room = ?";
    private static final String ADD = "INSERT INTO memberships (user_name, room, joined_at, read_seq)"
            + " SELECT ?, ?, ?, COALESCE((SELECT last_seq FROM rooms WHERE name = ?), 0)"
            + " WHERE (SELECT COUNT(*) FROM memberships WHERE user_name = ? AND room NOT LIKE '@%') < ?"
            + " ON CONFLICT (user_name, room) DO NOTHING";
    private static final String ADD_DIRECT = "INSERT INTO memberships (user_name, room, joined_at, read_seq) VALUES (?, ?, ?, 0)"
            + " ON CONFLICT (user_name, room) DO NOTHING";
    private static final String IS_MEMBER = "SELECT 1 FROM memberships WHERE user_name = ? AND room = ?";
    private static final String REMOVE = "DELETE FROM memberships WHERE user_name = ? AND room = ?";
    private static final String ROOMS = "SELECT room FROM memberships WHERE user_name = ? AND room NOT LIKE '@%' ORDER BY room";
    private static final String MEMBERS = "SELECT user_name FROM memberships WHERE room = ? ORDER BY user_name";
    private static final String ROOM_LATEST = "SELECT last_seq FROM rooms WHERE name = ?";
    private static final String READ = "UPDATE memberships SET read_seq = ? WHERE user_name = ? AND room = ? AND read_seq < ?";

    private final Database db;
    private final Clock clock;

    private final WebhookOutbox outbox;

    public JdbcMemberships(Database db, Clock clock) {
        this(db, clock, WebhookOutbox.off());
    }

    /** With webhooks: a room's membership begins and ends with its {@code member.joined} and {@code member.left}. */
    public JdbcMemberships(Database db, Clock clock, WebhookOutbox outbox) {
        this.db = db;
        this.clock = clock;
        this.outbox = outbox;
    }

    @Override
    public Added add(String user, String room, int maxRooms) {
        try (Connection c = db.connection()) {
            long now = clock.millis();
            boolean added = outbox.transaction(c, (tx, emit) -> {
                try (PreparedStatement ps = tx.prepareStatement(ADD)) {
                    ps.setString(1, user);
                    ps.setString(2, room);
                    ps.setLong(3, now);
                    ps.setString(4, room);
                    ps.setString(5, user);
                    ps.setInt(6, maxRooms);
                    if (ps.executeUpdate() != 1) {
                        return false;
                    }
                }
                if (RoomEvent.directUsers(room) == null) { // a direct conversation is no room of the member events
                    emit.accept(new WebhookEvent.MemberJoined(room, user, now));
                }
                return true;
            });
            if (added) {
                return Added.ADDED;
            }
            return isMember(c, user, room) ? Added.ALREADY : Added.LIMIT;
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    @Override
    public void addDirect(String room, String a, String b) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(ADD_DIRECT)) {
            for (String user : a.equals(b) ? List.of(a) : List.of(a, b)) {
                ps.setString(1, user);
                ps.setString(2, room);
                ps.setLong(3, clock.millis());
                ps.executeUpdate();
            }
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    private static boolean isMember(Connection c, String user, String room) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(IS_MEMBER)) {
            ps.setString(1, user);
            ps.setString(2, room);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    @Override
    public boolean remove(String user, String room) {
        try (Connection c = db.connection()) {
            return outbox.transaction(c, (tx, emit) -> {
                try (PreparedStatement ps = tx.prepareStatement(REMOVE)) {
                    ps.setString(1, user);
                    ps.setString(2, room);
                    if (ps.executeUpdate() == 0) {
                        return false;
                    }
                }
                if (RoomEvent.directUsers(room) == null) {
                    emit.accept(new WebhookEvent.MemberLeft(room, user, clock.millis()));
                }
                return true;
            });
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    @Override
    public List<String> roomsOf(String user) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(ROOMS)) {
            ps.setString(1, user);
            List<String> rooms = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rooms.add(rs.getString(1));
                }
            }
            return rooms;
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    @Override
    public List<String> membersOf(String room) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(MEMBERS)) {
            ps.setString(1, room);
            List<String> members = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    members.add(rs.getString(1));
                }
            }
            return members;
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    @Override
    public List<RoomState> statesOf(String user) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(STATES)) {
            ps.setString(1, user);
            List<RoomState> states = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    states.add(state(rs));
                }
            }
            return states;
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    @Override
    public RoomState markRead(String user, String room, long seq) {
        try (Connection c = db.connection()) {
            long latest = 0;
            try (PreparedStatement ps = c.prepareStatement(ROOM_LATEST)) {
                ps.setString(1, room);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        latest = rs.getLong(1);
                    }
                }
            }
            long to = Math.min(seq, latest); // last_seq only grows: a read past it now is a read of all there is
            try (PreparedStatement ps = c.prepareStatement(READ)) {
                ps.setLong(1, to);
                ps.setString(2, user);
                ps.setString(3, room);
                ps.setLong(4, to);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement(ONE_STATE)) {
                ps.setString(1, user);
                ps.setString(2, room);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? state(rs) : null;
                }
            }
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    private static RoomState state(ResultSet rs) throws SQLException {
        return new RoomState(rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5));
    }

    private StoreUnavailableException unavailable(SQLException e) {
        db.failed(e);
        return new StoreUnavailableException("memberships cannot be read or changed: " + e.getMessage(), e);
    }
}
