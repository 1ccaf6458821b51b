package dev.chat.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.chat.config.ChatConfig;
import dev.chat.metrics.ChatMetrics;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.naming.InitialContext;
import javax.naming.NamingException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * The store of record's database: a {@link DataSource} (SQLite file, PostgreSQL through HikariCP,
 * or the container's DataSource named by JNDI), its schema migrated by Flyway at start, and whether
 * it can be reached now. An operation that loses the database calls {@link #failed}; from then on
 * {@link #connection} fails at once (no thread waits on a dead database) while a probe checks
 * every second, and the first success brings it back. Each outage is logged once and counted.
 */
public final class Database implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Database.class.getName());
    private static final long PROBE_MILLIS = 1000;

    /** Which database: where their SQL differs, the store asks. */
    public enum Kind { SQLITE, POSTGRESQL }

    private final DataSource dataSource;
    private final HikariDataSource pool;
    private final Kind kind;
    private final String description;
    private final ChatMetrics metrics;
    private final ScheduledExecutorService probe = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "chat-db-probe");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean healthy = true;
    private volatile long outages;

    private Database(DataSource dataSource, HikariDataSource pool, Kind kind, String description, ChatMetrics metrics) {
        this.dataSource = dataSource;
        this.pool = pool;
        this.kind = kind;
        this.description = description;
        this.metrics = metrics;
        probe.scheduleWithFixedDelay(this::probe, PROBE_MILLIS, PROBE_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Opens the configured database and migrates its schema; throws when it cannot. */
    public static Database open(ChatConfig config, ChatMetrics metrics) {
        Database db;
        if (config.dbJndi() != null) {
            db = jndi(config.dbJndi(), metrics);
        } else if (config.dbUrl() != null) {
            db = pooled(config, metrics);
        } else {
            db = sqlite(config.dataDir().resolve("chat.db"), config.sqliteSync(), metrics);
        }
        try {
            db.migrate();
        } catch (RuntimeException e) {
            db.close();
            throw e;
        }
        return db;
    }

    private static Database sqlite(Path file, String sync, ChatMetrics metrics) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot create the data directory for " + file.toAbsolutePath(), e);
        }
        HikariConfig hc = new HikariConfig();
        hc.setPoolName("chat-sqlite");
        hc.setJdbcUrl("jdbc:sqlite:" + file.toAbsolutePath());
        // named, not looked up: in a WAR, DriverManager never sees a driver in WEB-INF/lib
        hc.setDriverClassName("org.sqlite.JDBC");
        // Write-ahead log: readers never wait for the writer. FULL syncs the log at every commit, so
        // an acked message survives a power cut; NORMAL syncs it at checkpoints only, which survives
        // any crash of the process (kill -9) but not of the machine (CHAT_SQLITE_SYNC).
        hc.addDataSourceProperty("journal_mode", "WAL");
        hc.addDataSourceProperty("synchronous", sync.toUpperCase(java.util.Locale.ROOT));
        hc.addDataSourceProperty("busy_timeout", "5000");
        hc.setMaximumPoolSize(4);
        hc.setConnectionTimeout(2000);
        HikariDataSource ds = new HikariDataSource(hc);
        return new Database(ds, ds, Kind.SQLITE, file.toAbsolutePath().toString(), metrics);
    }

    private static Database pooled(ChatConfig config, ChatMetrics metrics) {
        HikariConfig hc = new HikariConfig();
        hc.setPoolName("chat-db");
        hc.setJdbcUrl(config.dbUrl());
        hc.setDriverClassName(config.dbUrl().startsWith("jdbc:sqlite:") ? "org.sqlite.JDBC" : "org.postgresql.Driver");
        hc.setUsername(config.dbUser());
        hc.setPassword(config.dbPassword());
        hc.setMaximumPoolSize(config.dbPoolSize());
        // a send waits at most this long for a connection: then "unavailable", never a hung thread
        hc.setConnectionTimeout(2000);
        hc.setValidationTimeout(1000);
        // start even while the database is away: the node serves what it can and the probe waits for it
        hc.setInitializationFailTimeout(-1);
        Kind kind = config.dbUrl().startsWith("jdbc:sqlite:") ? Kind.SQLITE : Kind.POSTGRESQL;
        HikariDataSource ds = new HikariDataSource(hc);
        return new Database(ds, ds, kind, withoutSecrets(config.dbUrl()), metrics);
    }

    private static Database jndi(String name, ChatMetrics metrics) {
        DataSource ds;
        try {
            ds = (DataSource) new InitialContext().lookup(name);
        } catch (NamingException | ClassCastException e) {
            throw new IllegalStateException("CHAT_DB_JNDI: no DataSource named " + name + " (" + e + ")", e);
        }
        Kind kind;
        try (Connection c = ds.getConnection()) {
            String product = c.getMetaData().getDatabaseProductName();
            kind = product.toLowerCase(java.util.Locale.ROOT).contains("sqlite") ? Kind.SQLITE : Kind.POSTGRESQL;
        } catch (SQLException e) {
            throw new IllegalStateException("CHAT_DB_JNDI: the DataSource " + name + " cannot connect: " + e.getMessage(), e);
        }
        return new Database(ds, null, kind, name, metrics);
    }

    /** A JDBC URL's query may carry a password: keep it out of logs. */
    private static String withoutSecrets(String url) {
        int q = url.indexOf('?');
        return q < 0 ? url : url.substring(0, q);
    }

    /** Brings the schema to the latest version; waits up to 30 s for a database that is still starting. */
    private void migrate() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                Flyway.configure(Database.class.getClassLoader())
                        .dataSource(dataSource)
                        .resourceProvider(new Migrations(kind))
                        .load()
                        .migrate();
                LOG.log(Level.INFO, "store of record: {0} at {1}, schema migrated", kind, description);
                return;
            } catch (RuntimeException e) {
                if (System.nanoTime() > deadline || !unreachable(e)) {
                    throw new IllegalStateException("the database at " + description + " cannot be used: " + e.getMessage(), e);
                }
                LOG.log(Level.WARNING, "the database at {0} is not reachable yet ({1}); retrying", description, e.getMessage());
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for the database", ie);
                }
            }
        }
    }

    private static boolean unreachable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && lost(s)) {
                return true;
            }
        }
        return false;
    }

    /** Whether a failure means the database is gone (connection class), not that a statement was wrong. */
    static boolean lost(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLNonTransientConnectionException || t instanceof SQLRecoverableException
                    || t instanceof java.net.ConnectException) {
                return true;
            }
            String state = t instanceof SQLException s ? s.getSQLState() : null;
            if (state != null && (state.startsWith("08") || state.startsWith("57P") || state.equals("53300"))) {
                return true;
            }
        }
        // a pool that timed out with no failed connection underneath is busy, not down
        return false;
    }

    public Kind kind() {
        return kind;
    }

    /** A connection, or at once an SQLException while the database is known to be down. */
    public Connection connection() throws SQLException {
        if (!healthy) {
            throw new SQLTransientConnectionException("the database is unreachable", "08000");
        }
        return dataSource.getConnection();
    }

    /** An operation failed with {@code e}: counted, and if the database is gone, an outage begins. */
    public void failed(SQLException e) {
        metrics.databaseError();
        if (!lost(e)) {
            LOG.log(Level.WARNING, "database operation failed", e);
            return;
        }
        synchronized (this) { // one outage however many operations fail at once
            if (!healthy) {
                return;
            }
            healthy = false;
            outages++;
        }
        metrics.databaseOutage();
        LOG.log(Level.WARNING, "database at {0} unreachable ({1}): sends, history, login and register answer unavailable until it is back",
                description, e.getMessage());
    }

    /** The database answers again: the outage is over. */
    private void recovered() {
        if (!healthy) {
            healthy = true;
            LOG.log(Level.INFO, "database at {0} reachable again", description);
        }
    }

    public boolean healthy() {
        return healthy;
    }

    /** How many outages began so far: a connection kept from before the latest one is dead. */
    long outages() {
        return outages;
    }

    private void probe() {
        if (healthy) {
            return;
        }
        if (pool != null) {
            pool.getHikariPoolMXBean().softEvictConnections(); // connections to the old server are dead
        }
        try (Connection c = dataSource.getConnection()) {
            if (c.isValid(1)) {
                recovered();
            }
        } catch (SQLException | RuntimeException e) {
            LOG.log(Level.DEBUG, "database still unreachable: {0}", e.toString());
        }
    }

    /** The name of the history the seqs belong to: made once, when the schema is new, and kept with it. */
    public String epoch() {
        try (Connection c = connection()) {
            try (PreparedStatement insert = c.prepareStatement(
                    "INSERT INTO store_info (name, value) VALUES ('epoch', ?) ON CONFLICT (name) DO NOTHING")) {
                insert.setString(1, UUID.randomUUID().toString());
                insert.executeUpdate();
            }
            try (PreparedStatement select = c.prepareStatement("SELECT value FROM store_info WHERE name = 'epoch'");
                 ResultSet rs = select.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        } catch (SQLException e) {
            failed(e);
            throw new StoreUnavailableException("the store's epoch cannot be read", e);
        }
    }

    @Override
    public void close() {
        probe.shutdownNow();
        if (pool != null) {
            pool.close();
        }
    }
}
