package dev.chat.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * After each test, the database of every server a test started (in this JVM, or a deployed WAR)
 * ends its stored room memberships, as if each user had left each room. Rooms follow the user from
 * one connection to the next (that is the product), and the tests of a class share a server, a data
 * directory and their users: without this, a user's rooms from one test would greet it, with their
 * presence and messages, in the next. Registered for every test by autodetection
 * ({@code junit-platform.properties}); servers {@link #track} their database while they run.
 */
public final class FreshMemberships implements AfterEachCallback {
    /** A database by its JDBC URL and credentials. */
    public record Store(String url, String user, String password) {
        public static Store sqlite(Path dataDir) {
            return new Store("jdbc:sqlite:" + dataDir.resolve("chat.db"), null, null);
        }
    }

    private static final Set<Store> TRACKED = ConcurrentHashMap.newKeySet();
    /** Closed servers' stores, reset once more after the test that closed them, then forgotten. */
    private static final Set<Store> CLOSED = ConcurrentHashMap.newKeySet();

    public static void track(Store store) {
        TRACKED.add(store);
        CLOSED.remove(store);
    }

    /** The server is gone; its store is reset after this test still (a later server may reuse it, and then tracks it again). */
    public static void untrack(Store store) {
        if (TRACKED.remove(store)) {
            CLOSED.add(store);
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        for (Store s : TRACKED) {
            forget(s);
        }
        for (Store s : CLOSED) {
            forget(s);
            CLOSED.remove(s);
        }
    }

    /** Ends every stored membership in {@code store}; nothing when its SQLite file was never made. */
    public static void forget(Store store) {
        String url = store.url();
        if (url.startsWith("jdbc:sqlite:") && !Files.exists(Path.of(url.substring("jdbc:sqlite:".length())))) {
            return;
        }
        try (Connection c = DriverManager.getConnection(url, store.user(), store.password()); Statement s = c.createStatement()) {
            if (url.startsWith("jdbc:sqlite:")) {
                s.execute("PRAGMA busy_timeout = 5000");
            }
            s.executeUpdate("DELETE FROM memberships");
        } catch (SQLException e) {
            if (String.valueOf(e.getMessage()).contains("no such table") || String.valueOf(e.getMessage()).contains("does not exist")) {
                return; // the server never got as far as its schema
            }
            throw new IllegalStateException("could not reset the memberships at " + url, e);
        }
    }
}
