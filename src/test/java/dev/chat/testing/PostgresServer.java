package dev.chat.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real, throwaway PostgreSQL server (Debian's {@code postgresql} package, installed by .ci/run) in
 * its own temp directory on a free port, with a database {@code chat} and trust authentication on
 * 127.0.0.1. It is a real server rather than an embedded imitation so that tests see real SQL,
 * real durability and real crash recovery: {@link #kill()} SIGKILLs it without a clean shutdown
 * and {@link #restart()} brings it back on the same port and data directory, where it has to
 * replay its WAL. The distro's own cluster service (if it started itself) is never used.
 *
 * <p>Binaries come from the highest {@code /usr/lib/postgresql/<major>/bin}, or from the system
 * property {@code postgres.bin}. Tests that need PostgreSQL fail, never skip, when it is missing.
 *
 * <p>PostgreSQL refuses to run as root, so when the JVM runs as root every command runs as the
 * {@code postgres} OS user via {@code runuser}; the temp directory is then owned by that user and
 * its parents must be traversable by it (the default {@code java.io.tmpdir}, /tmp, is). As any
 * other user the binaries run directly.
 *
 * <p>Every command runs with a timeout and its output is captured; a failure throws
 * {@link IllegalStateException} with that output and the tail of the server log. Nothing sleeps
 * and hopes: readiness ({@code pg_ctl -w}, then a TCP connect) and death (the processes gone, the
 * port refusing) are polled against deadlines.
 */
public final class PostgresServer implements AutoCloseable {
    private static final String OS_USER = "postgres";
    private static final String DB_USER = "postgres";
    private static final String DATABASE = "chat";
    /** What pg_ctl itself waits for start/stop ({@code -t}); the command timeout is longer, so pg_ctl reports first. */
    private static final int PG_CTL_WAIT_SECONDS = 60;
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration PORT_TIMEOUT = Duration.ofSeconds(30);
    private static final boolean AS_ROOT = "root".equals(System.getProperty("user.name"));

    private final Path bin;
    private final Path dir;
    private final Path data;
    private final Path socketDir;
    private final Path log;
    private final Path commandOutput;
    private final int port;
    private final Thread shutdownHook;
    private boolean running;

    private PostgresServer(Path bin, Path dir, int port) {
        this.bin = bin;
        this.dir = dir;
        this.data = dir.resolve("data");
        this.socketDir = dir.resolve("sock");
        this.log = dir.resolve("pg.log");
        this.commandOutput = dir.resolve("command.out");
        this.port = port;
        // A server pg_ctl started is a daemon: it would outlive a JVM whose test forgot close().
        this.shutdownHook = new Thread(this::killQuietlyAndDelete, "postgres-" + port + "-cleanup");
    }

    /** initdb in a fresh temp dir, start on a free port, create the database {@code chat}. */
    public static PostgresServer start() throws Exception {
        Path bin = binDir();
        PostgresServer server = new PostgresServer(bin, Files.createTempDirectory("pg-"), freePort());
        Runtime.getRuntime().addShutdownHook(server.shutdownHook);
        try {
            server.init();
            server.startPostmaster();
            server.run(COMMAND_TIMEOUT, bin.resolve("createdb").toString(),
                    "-h", "127.0.0.1", "-p", Integer.toString(server.port), "-U", DB_USER, DATABASE);
        } catch (Exception e) {
            try {
                server.close();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return server;
    }

    public int port() {
        return port;
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE;
    }

    public String user() {
        return DB_USER;
    }

    /** Empty: loopback connections are trusted. */
    public String password() {
        return "";
    }

    /** The server log ({@code pg_ctl -l}); it survives restarts, so a test can look for crash recovery in it. */
    public Path logFile() {
        return log;
    }

    /** Clean shutdown ({@code pg_ctl stop -m fast -w}). Does nothing when it is not running. */
    public synchronized void stop() throws Exception {
        if (!running) {
            return;
        }
        if (!Files.exists(data.resolve("postmaster.pid"))) { // pg_ctl start failed before the server got going
            running = false;
            return;
        }
        run(COMMAND_TIMEOUT, bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "fast", "-w",
                "-t", Integer.toString(PG_CTL_WAIT_SECONDS), "stop");
        running = false;
        awaitPortRefusing();
    }

    /**
     * SIGKILLs the postmaster and its child processes at once, with no shutdown checkpoint: what
     * an outage looks like to the nodes. Nothing is removed, so {@link #restart()} has to do crash
     * recovery. Returns once all those processes are gone and the port refuses connections. Does
     * nothing when it is not running.
     *
     * <p>"Gone" includes reaped: a killed postmaster is an orphan (pg_ctl started it and exited),
     * so init reaps it, possibly seconds later; until then its zombie's pid counts as alive and a
     * new postmaster refuses the data directory ("lock file postmaster.pid already exists"). The
     * children are killed too because a survivor still attached to the old shared memory would
     * also make the new postmaster refuse to start.
     */
    public synchronized void kill() throws Exception {
        if (!running) {
            return;
        }
        List<ProcessHandle> processes = postmasterAndChildren();
        processes.forEach(ProcessHandle::destroyForcibly); // SIGKILL; the postmaster first
        running = false;
        long deadline = System.nanoTime() + PORT_TIMEOUT.toNanos();
        for (ProcessHandle p : processes) {
            while (p.isAlive()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("PostgreSQL process " + p.pid() + " still exists " + PORT_TIMEOUT.toSeconds()
                            + " s after SIGKILL (a zombie nobody reaps? In a container, run with an init that reaps"
                            + " orphans, e.g. docker run --init)" + logTail());
                }
                Thread.sleep(20);
            }
        }
        awaitPortRefusing();
    }

    /**
     * Starts it again on the same port and data directory, after {@link #stop()} or {@link #kill()}
     * (after a kill, pg_ctl warns about the stale postmaster.pid and postgres replaces it). Stops it
     * cleanly first if it is still running.
     */
    public synchronized void restart() throws Exception {
        stop();
        startPostmaster();
    }

    /**
     * Stops it (fast; a SIGKILL if that fails, and then the stop failure is still thrown: a server
     * that would not stop cleanly is news), then deletes the temp dir (best effort).
     */
    @Override
    public synchronized void close() throws Exception {
        try {
            try {
                stop();
            } catch (Exception stopFailed) {
                try {
                    kill();
                } catch (Exception killFailed) {
                    stopFailed.addSuppressed(killFailed);
                }
                throw stopFailed;
            }
        } finally {
            deleteRecursively(dir);
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException shutdownInProgress) {
                // the hook runs anyway and finds nothing left to do
            }
        }
    }

    private void init() throws Exception {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectory(data);
        Files.createDirectory(socketDir);
        if (AS_ROOT) {
            checkTraversable(dir.getParent());
            UserPrincipal postgres;
            try {
                postgres = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(OS_USER);
            } catch (UserPrincipalNotFoundException e) {
                throw new IllegalStateException("running as root but there is no '" + OS_USER
                        + "' OS user to run PostgreSQL as (Debian's postgresql package creates it)", e);
            }
            // postgres writes pg.log in dir, its socket in sock, and owns data (initdb makes it 0700)
            for (Path p : List.of(dir, data, socketDir)) {
                Files.setOwner(p, postgres);
            }
        }
        run(COMMAND_TIMEOUT, bin.resolve("initdb").toString(), "-D", data.toString(), "-U", DB_USER,
                "--auth=trust", "-E", "UTF8", "--locale=C");
    }

    private void startPostmaster() throws Exception {
        // pg_ctl hands -o to /bin/sh, so the socket path is quoted
        String options = "-p " + port + " -k '" + socketDir + "' -c listen_addresses=127.0.0.1 -c fsync=on";
        running = true; // from here on close() must try to stop it, even if pg_ctl failed half-way
        run(COMMAND_TIMEOUT, bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", log.toString(),
                "-o", options, "-w", "-t", Integer.toString(PG_CTL_WAIT_SECONDS), "start");
        long deadline = System.nanoTime() + PORT_TIMEOUT.toNanos();
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                return;
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("pg_ctl started PostgreSQL but nothing accepts connections on 127.0.0.1:"
                            + port + " after " + PORT_TIMEOUT.toSeconds() + " s" + logTail(), notYet);
                }
                Thread.sleep(20);
            }
        }
    }

    private void awaitPortRefusing() throws Exception {
        long deadline = System.nanoTime() + PORT_TIMEOUT.toNanos();
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            } catch (IOException refused) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("port " + port + " still accepts connections " + PORT_TIMEOUT.toSeconds()
                        + " s after PostgreSQL was stopped" + logTail());
            }
            Thread.sleep(20);
        }
    }

    /**
     * The postmaster (pid from the first line of postmaster.pid) and its descendants, listed before
     * any kill: afterwards they would be init's. Empty when there is no pid file or no such process.
     */
    private List<ProcessHandle> postmasterAndChildren() throws IOException {
        Path pidFile = data.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            return List.of();
        }
        List<String> lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
        if (lines.isEmpty() || !lines.get(0).trim().matches("\\d+")) {
            throw new IllegalStateException("no pid on the first line of " + pidFile + ": " + lines + logTail());
        }
        List<ProcessHandle> processes = new ArrayList<>();
        ProcessHandle.of(Long.parseLong(lines.get(0).trim())).ifPresent(pm -> {
            processes.add(pm);
            pm.descendants().forEach(processes::add);
        });
        return processes;
    }

    /** Runs a PostgreSQL binary (as the postgres user when we are root); throws on timeout or non-zero exit. */
    private String run(Duration timeout, String... command) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>();
        if (AS_ROOT) {
            full.addAll(List.of(runuser(), "-u", OS_USER, "--"));
        }
        full.addAll(Arrays.asList(command));
        ProcessBuilder pb = new ProcessBuilder(full)
                .directory(dir.toFile()) // a cwd the postgres user can enter
                .redirectErrorStream(true)
                // a file, not a pipe: nothing can hold it open and block us (the postmaster has its own log)
                .redirectOutput(commandOutput.toFile());
        pb.environment().keySet().removeIf(name -> name.startsWith("PG")); // no PGDATA, PGPORT, PGHOST from outside
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new IllegalStateException("could not run " + full, e);
        }
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            throw new IllegalStateException("timed out after " + timeout.toSeconds() + " s: " + full + "\n" + output() + logTail());
        }
        String output = output();
        if (p.exitValue() != 0) {
            throw new IllegalStateException("exit code " + p.exitValue() + ": " + full + "\n" + output + logTail());
        }
        return output;
    }

    private String output() {
        try {
            return new String(Files.readAllBytes(commandOutput), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no output: " + e + ")";
        }
    }

    private String logTail() {
        try {
            if (!Files.exists(log)) {
                return "\n(no " + log + " yet)";
            }
            String text = new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
            return "\n--- tail of " + log + " ---\n" + text.substring(Math.max(0, text.length() - 4000));
        } catch (IOException e) {
            return "\n(could not read " + log + ": " + e + ")";
        }
    }

    private static Path binDir() throws IOException {
        String override = System.getProperty("postgres.bin");
        if (override != null) {
            Path bin = Path.of(override);
            if (!Files.isExecutable(bin.resolve("initdb"))) {
                throw new IllegalStateException("-Dpostgres.bin=" + override + " has no executable initdb");
            }
            return bin;
        }
        Path root = Path.of("/usr/lib/postgresql");
        Path best = null;
        if (Files.isDirectory(root)) {
            try (DirectoryStream<Path> versions = Files.newDirectoryStream(root)) {
                for (Path version : versions) {
                    String name = version.getFileName().toString();
                    if (name.matches("\\d+(\\.\\d+)*") && Files.isExecutable(version.resolve("bin/initdb"))
                            && (best == null || compareVersions(name, best.getFileName().toString()) > 0)) {
                        best = version;
                    }
                }
            }
        }
        if (best == null) {
            throw new IllegalStateException("PostgreSQL is not installed: no /usr/lib/postgresql/*/bin/initdb"
                    + " (apt-get install postgresql; .ci/run does it), or point -Dpostgres.bin at its bin directory");
        }
        return best.resolve("bin");
    }

    private static int compareVersions(String a, String b) {
        int[] x = Arrays.stream(a.split("\\.")).mapToInt(Integer::parseInt).toArray();
        int[] y = Arrays.stream(b.split("\\.")).mapToInt(Integer::parseInt).toArray();
        return Arrays.compare(x, y);
    }

    private static String runuser() {
        for (String candidate : List.of("/usr/sbin/runuser", "/sbin/runuser")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        return "runuser";
    }

    /** As root the postgres user must be able to reach the temp dir: every parent needs o+x. */
    private static void checkTraversable(Path parent) throws IOException {
        for (Path p = parent; p != null; p = p.getParent()) {
            if (!Files.getPosixFilePermissions(p).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                throw new IllegalStateException("the " + OS_USER + " user cannot traverse " + p + " (mode "
                        + PosixFilePermissions.toString(Files.getPosixFilePermissions(p)) + ") to reach the temp dir;"
                        + " point -Djava.io.tmpdir at a directory it can reach, e.g. /tmp");
            }
        }
    }

    private synchronized void killQuietlyAndDelete() {
        if (running) {
            try {
                postmasterAndChildren().forEach(ProcessHandle::destroyForcibly);
            } catch (Exception | Error ignored) {
                // best effort while the JVM exits
            }
            running = false;
        }
        deleteRecursively(dir);
    }

    private static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    try {
                        Files.deleteIfExists(file);
                    } catch (IOException ignored) {
                        // best effort
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) {
                    try {
                        Files.deleteIfExists(d);
                    } catch (IOException ignored) {
                        // best effort
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
