package dev.chat.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.auth.SessionStore;
import dev.chat.testing.Databases;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Sessions on a real SQLite file and a real PostgreSQL server: tokens found by hash with their
 * generation, rotation as a compare-and-set, revocation (one, all but one), and expired sessions
 * deleted with their token hashes.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class JdbcSessionStoreTest {
    private static final long NOW = 1_700_000_000_000L;
    private static final long DAY = 86_400_000L;

    private static Map<String, String> settings(String kind) throws Exception {
        return kind.equals("sqlite") ? Databases.sqliteSettings() : Databases.postgresSettings();
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aRotationReplacesTheCurrentTokenAndAnOldOneIsFoundAsRotatedOut(String kind) throws Exception {
        try (Database db = Databases.open(settings(kind))) {
            JdbcSessionStore store = new JdbcSessionStore(db);
            store.create("s1", "alice", "h0", NOW, NOW + DAY);
            SessionStore.Found first = store.find("h0").orElseThrow();
            assertEquals("alice", first.session().user());
            assertTrue(first.current());
            assertTrue(store.rotate("s1", 0, "h1", NOW + 1));
            assertFalse(store.rotate("s1", 0, "h1b", NOW + 2), "a second rotation of the same generation loses");
            assertFalse(store.find("h0").orElseThrow().current(), "h0 was rotated out");
            assertTrue(store.find("h1").orElseThrow().current());
            assertTrue(store.find("h1b").isEmpty());
            assertTrue(store.find("nothing").isEmpty());
            assertTrue(store.active("s1", NOW + 3));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void revokedAndExpiredSessionsAreNotActiveAndCannotRotate(String kind) throws Exception {
        try (Database db = Databases.open(settings(kind))) {
            JdbcSessionStore store = new JdbcSessionStore(db);
            store.create("s1", "alice", "a0", NOW, NOW + DAY);
            store.create("s2", "alice", "b0", NOW, NOW + 10);
            assertFalse(store.active("s2", NOW + 10), "expired at its end");
            assertFalse(store.rotate("s2", 0, "b1", NOW + 11));
            assertTrue(store.revoke("s1", NOW + 1));
            assertFalse(store.revoke("s1", NOW + 2), "once");
            assertFalse(store.active("s1", NOW + 2));
            assertFalse(store.rotate("s1", 0, "a1", NOW + 2));
            assertTrue(store.find("a0").isEmpty(), "a revoked session's token hashes are deleted");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void revokeAllEndsEveryActiveSessionOfTheUserButTheOneKept(String kind) throws Exception {
        try (Database db = Databases.open(settings(kind))) {
            JdbcSessionStore store = new JdbcSessionStore(db);
            store.create("s1", "alice", "a", NOW, NOW + DAY);
            store.create("s2", "alice", "b", NOW, NOW + DAY);
            store.create("s3", "alice", "c", NOW, NOW + DAY);
            store.create("s4", "bob", "d", NOW, NOW + DAY);
            assertEquals(java.util.Set.of("s2", "s3"), java.util.Set.copyOf(store.revokeAll("alice", "s1", NOW)));
            assertFalse(store.active("s2", NOW + 1));
            assertTrue(store.active("s1", NOW + 1), "kept");
            assertTrue(store.active("s4", NOW + 1), "another user's");
            assertEquals(List.of("s1"), store.revokeAll("alice", null, NOW + 1));
            assertEquals(List.of(), store.revokeAll("alice", null, NOW + 2));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void expiredSessionsAreDeletedWithTheirTokenHashesInBoundedBatches(String kind) throws Exception {
        try (Database db = Databases.open(settings(kind))) {
            JdbcSessionStore store = new JdbcSessionStore(db);
            for (int i = 0; i < 5; i++) {
                store.create("old" + i, "alice", "old-h" + i, NOW, NOW + i);
            }
            store.rotate("old4", 0, "old-h4-1", NOW);
            store.create("live", "alice", "live-h", NOW, NOW + DAY);
            assertEquals(3, store.deleteExpired(NOW + 10, 3));
            assertEquals(2, store.deleteExpired(NOW + 10, 3));
            assertEquals(0, store.deleteExpired(NOW + 10, 3));
            assertEquals(1, count(db, "SELECT COUNT(*) FROM sessions"));
            assertEquals(1, count(db, "SELECT COUNT(*) FROM refresh_tokens"));
            assertTrue(store.find("live-h").isPresent());
        }
    }

    private static long count(Database db, String sql) throws Exception {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
