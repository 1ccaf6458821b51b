package dev.chat.testing;

import dev.chat.config.ChatConfig;
import dev.chat.metrics.ChatMetrics;
import dev.chat.store.Database;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Fresh databases for tests: a SQLite file in a new directory, or a new database on one shared
 * throwaway PostgreSQL server (started on first use, stopped when the JVM exits), so tests never
 * see each other's rows.
 */
public final class Databases {
    private static final AtomicInteger NAMES = new AtomicInteger();
    private static PostgresServer postgres;

    private Databases() {
    }

    /** The one PostgreSQL server of this test JVM. */
    public static synchronized PostgresServer postgres() throws Exception {
        if (postgres == null) {
            postgres = PostgresServer.start();
            PostgresServer started = postgres;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    started.close();
                } catch (Exception ignored) {
                    // the JVM is going anyway
                }
            }));
        }
        return postgres;
    }

    /** A new, empty database on the shared server; its JDBC URL. */
    public static String newPostgresDatabase() throws Exception {
        PostgresServer pg = postgres();
        String name = "chat_t" + ProcessHandle.current().pid() + "_" + NAMES.incrementAndGet();
        String admin = pg.jdbcUrl().substring(0, pg.jdbcUrl().lastIndexOf('/') + 1) + "postgres";
        try (Connection c = DriverManager.getConnection(admin, pg.user(), pg.password()); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
        return admin.substring(0, admin.lastIndexOf('/') + 1) + name;
    }

    /** Settings that point a node at a new PostgreSQL database. */
    public static Map<String, String> postgresSettings() throws Exception {
        PostgresServer pg = postgres();
        Map<String, String> env = new HashMap<>();
        env.put("CHAT_DB_URL", newPostgresDatabase());
        env.put("CHAT_DB_USER", pg.user());
        if (!pg.password().isEmpty()) {
            env.put("CHAT_DB_PASSWORD", pg.password());
        }
        return env;
    }

    /** Opens (and migrates) a database with these settings. */
    public static Database open(Map<String, String> settings) {
        return Database.open(ChatConfig.load(settings, new Properties()), new ChatMetrics());
    }

    /** A SQLite store in a new data directory. */
    public static Map<String, String> sqliteSettings() throws Exception {
        Path dir = Files.createTempDirectory("chat-db-");
        return Map.of("CHAT_DATA_DIR", dir.toString());
    }
}
