package dev.chat.store;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.Databases;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What counts as losing the database, and what a node still allows once it has lost it. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StoreFailureTest {

    @Test
    void aPoolThatTimedOutWithNothingBrokenUnderneathIsBusyNotDown() {
        // HikariCP's "Connection is not available, request timed out": no failed connection as its cause
        assertFalse(Database.lost(new SQLTransientConnectionException("chat-db - Connection is not available")));
        // the same timeout while the server refuses connections (PostgreSQL's 08001 as the cause) is an outage
        assertTrue(Database.lost(new SQLTransientConnectionException("chat-db - Connection is not available", null,
                new SQLException("Connection to 127.0.0.1:5432 refused", "08001"))));
        assertTrue(Database.lost(new SQLException("terminating connection due to administrator command", "57P01")));
        assertFalse(Database.lost(new SQLException("duplicate key value", "23505")), "a wrong statement is not an outage");
    }

    @Test
    void aRoomSeenWithoutOwnerIsNotRememberedAsPublicSoItFailsClosedOnceCreatedPrivate() throws Exception {
        Database db = Databases.open(Databases.sqliteSettings());
        JdbcRoomAccess access = new JdbcRoomAccess(db, Clock.systemUTC());
        assertTrue(access.mayJoin("later-private", "bob"), "nobody owns it yet: public");
        assertTrue(access.create("later-private", "alice", true));
        assertTrue(access.mayJoin("seen-public", "bob"));
        db.close(); // the database is gone
        assertThrows(StoreUnavailableException.class, () -> access.mayJoin("later-private", "bob"),
                "a room that was claimed private must not be admitted from an old memory");
        assertThrows(StoreUnavailableException.class, () -> access.mayJoin("never-seen", "bob"));
    }
}
