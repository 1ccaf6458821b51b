package dev.chat.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} process on a free port (Debian's package, installed by .ci/run), with
 * persistence off unless asked for. Tests that need Redis fail, never skip, when it is missing.
 */
public final class RedisServer implements AutoCloseable {
    private final int port;
    private final Path dir;
    private final boolean appendOnly;
    private Process process;

    private RedisServer(int port, Path dir, boolean appendOnly) {
        this.port = port;
        this.dir = dir;
        this.appendOnly = appendOnly;
    }

    public static RedisServer start() throws Exception {
        return start(false);
    }

    /** @param appendOnly keep an append-only file in a temp dir, so a restart keeps the data */
    public static RedisServer start(boolean appendOnly) throws Exception {
        RedisServer server = new RedisServer(freePort(), Files.createTempDirectory("redis-"), appendOnly);
        server.startProcess();
        return server;
    }

    private void startProcess() throws Exception {
        String binary = System.getProperty("redis.server", "redis-server");
        ProcessBuilder pb = new ProcessBuilder(binary, "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", appendOnly ? "yes" : "no", "--dir", dir.toString(),
                "--daemonize", "no", "--protected-mode", "yes")
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.log").toFile());
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new IllegalStateException("redis-server is not installed (apt-get install redis-server; .ci/run does it)", e);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("redis-server exited: " + Files.readString(dir.resolve("redis.log")));
                }
                Thread.sleep(20);
            }
        }
        throw new IllegalStateException("redis-server did not start on port " + port);
    }

    public int port() {
        return port;
    }

    public String url() {
        return "redis://127.0.0.1:" + port + "/0";
    }

    /** Kills the process (SIGKILL): what an outage looks like to the nodes. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** Starts it again on the same port and directory. */
    public void restart() throws Exception {
        startProcess();
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null) {
            kill();
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
