package dev.chat.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.Databases;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Memberships and read positions on a real SQLite file and a real PostgreSQL server: a join starts
 * read at the room's latest seq, the per-user bound, unread counting only others' messages,
 * mentions, reads that never go back or past the end, and the counts' plan on PostgreSQL: index
 * range scans after the read position, never a scan of a room's history.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class JdbcMembershipsTest {
    private static Map<String, String> settings(String kind) throws Exception {
        return kind.equals("sqlite") ? Databases.sqliteSettings() : Databases.postgresSettings();
    }

    /** Messages {@code from..to} of {@code room} by {@code sender}, the room's sequencer moved to {@code to}. */
    private static void post(Database db, String room, String sender, long from, long to) throws SQLException {
        try (Connection c = db.connection()) {
            c.setAutoCommit(false);
            try (PreparedStatement r = c.prepareStatement("INSERT INTO rooms (name, last_seq, created_at) VALUES (?, ?, 0)"
                    + " ON CONFLICT (name) DO UPDATE SET last_seq = excluded.last_seq");
                 PreparedStatement m = c.prepareStatement("INSERT INTO messages (room, seq, sender, text, accepted_at) VALUES (?, ?, ?, 'x', 0)")) {
                r.setString(1, room);
                r.setLong(2, to);
                r.executeUpdate();
                for (long seq = from; seq <= to; seq++) {
                    m.setString(1, room);
                    m.setLong(2, seq);
                    m.setString(3, sender);
                    m.addBatch();
                }
                m.executeBatch();
            }
            c.commit();
        }
    }

    private static void mention(Database db, String user, String room, long seq) throws SQLException {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement("INSERT INTO mentions (user_name, room, seq) VALUES (?, ?, ?)")) {
            ps.setString(1, user);
            ps.setString(2, room);
            ps.setLong(3, seq);
            ps.executeUpdate();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aJoinIsReadUpToTheRoomsEndAndCountsOnlyWhatOthersSendAfterTheReadPosition(String kind) throws Exception {
        try (Database db = Databases.open(settings(kind))) {
            Memberships m = new JdbcMemberships(db, Clock.systemUTC());
            post(db, "general", "carol", 1, 10);
            assertEquals(Memberships.Added.ADDED, m.add("alice", "general", 500));
            assertEquals(Memberships.Added.ALREADY, m.add("alice", "general", 500));
            assertEquals(List.of(new RoomState("general", 10, 10, 0, 0)), m.statesOf("alice"), "what came before the join is not news");
            post(db, "general", "carol", 11, 14);
            post(db, "general", "alice", 15, 16);
            post(db, "general", "carol", 17, 17);
            mention(db, "alice", "general", 12);
            mention(db, "alice", "general", 17);
            mention(db, "bob", "general", 13);
            assertEquals(List.of(new RoomState("general", 17, 10, 5, 2)), m.statesOf("alice"), "her own two are not unread");

            assertEquals(new RoomState("general", 17, 12, 3, 1), m.markRead("alice", "general", 12));
            assertEquals(new RoomState("general", 17, 12, 3, 1), m.markRead("alice", "general", 11), "never back");
            assertEquals(new RoomState("general", 17, 17, 0, 0), m.markRead("alice", "general", 1_000), "never past the end");
            assertNull(m.markRead("bob", "general", 5), "bob is no member");

            assertTrue(m.remove("alice", "general"));
            assertFalse(m.remove("alice", "general"));
            assertEquals(List.of(), m.statesOf("alice"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void theBoundCountsRoomsNotDirectConversationsAndDirectOnesStartUnread(String kind) throws Exception {
        try (Database db = Databases.open(settings(kind))) {
            Memberships m = new JdbcMemberships(db, Clock.systemUTC());
            post(db, "@alice+bob", "bob", 1, 3);
            m.addDirect("@alice+bob", "alice", "bob");
            m.addDirect("@alice+bob", "alice", "bob"); // again: nothing
            assertEquals(Memberships.Added.ADDED, m.add("alice", "one", 2));
            assertEquals(Memberships.Added.ADDED, m.add("alice", "two", 2));
            assertEquals(Memberships.Added.LIMIT, m.add("alice", "three", 2));
            assertEquals(Memberships.Added.ALREADY, m.add("alice", "two", 2), "a room she is in is no new room");
            assertEquals(List.of("one", "two"), m.roomsOf("alice"), "direct conversations are not rooms to enter");
            assertEquals(List.of(new RoomState("@alice+bob", 3, 0, 3, 0), new RoomState("one", 0, 0, 0, 0),
                    new RoomState("two", 0, 0, 0, 0)), m.statesOf("alice"));
            assertEquals(List.of(new RoomState("@alice+bob", 3, 0, 0, 0)), m.statesOf("bob"), "bob sent them");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void countsStopAtTheCap(String kind) throws Exception {
        try (Database db = Databases.open(settings(kind))) {
            Memberships m = new JdbcMemberships(db, Clock.systemUTC());
            m.add("alice", "busy", 500);
            post(db, "busy", "carol", 1, Memberships.COUNT_CAP + 500);
            assertEquals(Memberships.COUNT_CAP, m.statesOf("alice").get(0).unread());
        }
    }

    /**
     * The plan behind {@code welcome}'s counts, on a room of 200,000 messages with the user's read
     * position near its end: the messages and mentions are reached by their primary keys, from the
     * read position on, and the rows the executor touches are the unread ones, not the history.
     */
    @Test
    void onPostgresqlTheCountsAreIndexRangeScansAfterTheReadPosition() throws Exception {
        try (Database db = Databases.open(Databases.postgresSettings())) {
            Memberships m = new JdbcMemberships(db, Clock.systemUTC());
            try (Connection c = db.connection(); Statement s = c.createStatement()) {
                // a database with more than one room and one user: 10,000 rooms, 200,000 mentions of
                // 500 others in the big room, 2,000 of alice (all read), 500 other members
                s.execute("INSERT INTO rooms (name, last_seq, created_at) VALUES ('big', 200000, 0)");
                s.execute("INSERT INTO rooms (name, last_seq, created_at) SELECT 'r' || g, g, 0 FROM generate_series(1, 10000) g");
                s.execute("INSERT INTO messages (room, seq, sender, text, accepted_at)"
                        + " SELECT 'big', g, 'carol', 'x', 0 FROM generate_series(1, 200000) g");
                s.execute("INSERT INTO mentions (user_name, room, seq) SELECT 'u' || (g % 500), 'big', g FROM generate_series(1, 200000) g");
                s.execute("INSERT INTO mentions (user_name, room, seq) SELECT 'alice', 'big', g FROM generate_series(1, 200000, 100) g");
                s.execute("INSERT INTO memberships (user_name, room, joined_at, read_seq) SELECT 'u' || g, 'big', 0, 0 FROM generate_series(0, 499) g");
                s.execute("INSERT INTO memberships (user_name, room, joined_at, read_seq) VALUES ('alice', 'big', 0, 199990)");
                s.execute("ANALYZE");
            }
            StringBuilder plan = new StringBuilder();
            try (Connection c = db.connection();
                 PreparedStatement ps = c.prepareStatement("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + JdbcMemberships.STATES)) {
                ps.setString(1, "alice");
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        plan.append(rs.getString(1)).append('\n');
                    }
                }
            }
            String p = plan.toString();
            System.out.println("the plan of the welcome's counts (README, Read state):\n" + p);
            assertFalse(p.contains("Seq Scan"), p);
            // the unread count touched the 10 unread rows of the primary key, not the 200,000 of the history
            assertTrue(p.matches("(?s).*messages_pkey[^\\n]*\\(actual rows=10 loops=1\\).*"), p);
            assertTrue(p.contains("mentions_pkey"), p);
            assertEquals(List.of(new RoomState("big", 200000, 199990, 10, 0)), m.statesOf("alice"));
        }
    }
}
