package dev.chat.deploy;

import static org.junit.jupiter.api.Assertions.fail;

import dev.chat.testing.RemoteServer;
import dev.chat.testing.TestServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The unchanged {@code target/chat.war} deployed on a real Jakarta EE server, run as a child
 * process bound to 127.0.0.1 on free ports, with the chat settings as {@code -Dchat.*} system
 * properties of the server's JVM (a fixed secret, a fresh data directory). {@link #start} returns
 * once {@code GET /chat/api/protocol} answers 200, or fails with the server's log;
 * {@link #close} stops it (SIGTERM, so the WAR is undeployed gracefully) and kills it if it lingers.
 * The subclasses only know how to launch their server.
 */
public abstract class DeployedServer implements AutoCloseable {
    public static final String CONTEXT = "chat";
    private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(Long.getLong("chat.container.bootSeconds", 180));
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    protected final Path war;
    protected final Path work;
    protected final Path dataDir;
    protected final Path log;
    protected final int httpPort;
    private final Map<String, String> settings = new LinkedHashMap<>();
    private Process process;
    private Thread killer;
    private Duration bootTime;

    protected DeployedServer(String name, Map<String, String> overrides) {
        try {
            war = Path.of(System.getProperty("chat.war", "target/chat.war")).toAbsolutePath();
            if (!Files.isRegularFile(war)) {
                throw new IllegalStateException("no WAR at " + war + ": run `mvn package` first");
            }
            Path logs = Files.createDirectories(war.getParent().resolve("containers").resolve("logs"));
            work = Files.createTempDirectory("chat-" + name + "-");
            dataDir = Files.createDirectories(work.resolve("data"));
            log = logs.resolve(name + "-" + System.currentTimeMillis() + ".log");
            httpPort = freePort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        settings.put("chat.jwt.secret", TestServer.SECRET);
        settings.put("chat.register.max.per.address", "100000"); // every test client registers from 127.0.0.1
        settings.put("chat.max.connections.per.address", "100000"); // and connects from it
        settings.put("chat.max.handshakes.per.address.per.second", "100000");
        settings.put("chat.data.dir", dataDir.toString());
        settings.put("chat.shutdown.grace", "2s");
        settings.putAll(overrides);
    }

    /** Settings for the container's own MicroProfile Config source (not system properties), by name. */
    protected final Map<String, String> containerConfig = new LinkedHashMap<>();

    /**
     * A setting given the way the README's "Settings in the WAR" does it for this container: its
     * own config source (Payara {@code set-config-property}, WildFly {@code config-source}).
     */
    public DeployedServer containerConfig(String name, String value) {
        containerConfig.put(name, value);
        return this;
    }

    /** The container's own health endpoint at {@code path} ({@code health/ready}), not the WAR's. */
    public abstract URI containerHealth(String path);

    /**
     * The chat's check in the container's own health answer at {@code path}: its HTTP status, and
     * the check ({@code name}, {@code status}, {@code data}), or null when the answer has none.
     */
    @SuppressWarnings("unchecked")
    public Map.Entry<Integer, Map<String, Object>> chatCheck(String path) throws Exception {
        HttpResponse<String> r = TestServer.get(containerHealth(path));
        Map<String, Object> check = null;
        if (r.body().startsWith("{")) {
            for (Object c : (List<Object>) TestServer.json(r.body()).get("checks")) {
                if ("chat".equals(((Map<String, Object>) c).get("name"))) {
                    check = (Map<String, Object>) c;
                }
            }
        }
        return Map.entry(r.statusCode(), check == null ? Map.of("answer", r.body()) : check);
    }

    /** Human name and version, for messages. */
    public abstract String describe();

    /** The command line that starts the server with the WAR deployed; runs in {@link #work}. */
    protected abstract List<String> command(List<String> systemProperties) throws IOException;

    /** Asks the server to stop gracefully (SIGTERM to the process started). */
    protected void terminate(Process started) {
        started.destroy();
    }

    /** Adds what the launcher needs in the environment. */
    protected ProcessBuilder environment(ProcessBuilder pb) {
        return pb;
    }

    /** Extra places to look when the server fails (its own log files). */
    protected List<Path> extraLogs() {
        return List.of();
    }

    public RemoteServer remote() {
        return new RemoteServer(URI.create("http://127.0.0.1:" + httpPort + "/" + CONTEXT + "/"));
    }

    public Duration bootTime() {
        return bootTime;
    }

    public Path log() {
        return log;
    }

    /** Starts the server and waits until the WAR answers; fails the test with the server log otherwise. */
    public DeployedServer start() throws Exception {
        dev.chat.testing.FreshMemberships.track(dev.chat.testing.FreshMemberships.Store.sqlite(dataDir)); // a JNDI database is the test's own
        List<String> props = settings.entrySet().stream().map(e -> "-D" + e.getKey() + "=" + e.getValue())
                .collect(Collectors.toCollection(ArrayList::new));
        ProcessBuilder pb = new ProcessBuilder(command(props)).directory(work.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        // the node must take its settings from the -D flags above, not from the CI's environment
        pb.environment().keySet().removeIf(k -> k.startsWith("CHAT_") || k.equals("JAVA_OPTS") || k.startsWith("JBOSS_"));
        environment(pb);
        long t0 = System.nanoTime();
        process = pb.start();
        killer = new Thread(this::kill, "kill-" + describe());
        Runtime.getRuntime().addShutdownHook(killer); // even if the test JVM dies, the server goes with it
        URI probe = remote().base().resolve("api/protocol");
        long deadline = t0 + BOOT_TIMEOUT.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                fail(describe() + " exited with status " + process.exitValue() + " before deploying the WAR\n" + logs());
            }
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(probe).timeout(Duration.ofSeconds(5)).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    bootTime = Duration.ofNanos(System.nanoTime() - t0);
                    System.out.printf("%s: %s answered after %d ms (log %s)%n", describe(), probe, bootTime.toMillis(), log);
                    return this;
                }
                last = "HTTP " + r.statusCode();
            } catch (ConnectException | java.net.http.HttpTimeoutException e) {
                last = e.toString();
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(250);
        }
        kill();
        fail(describe() + ": " + probe + " did not answer 200 within " + BOOT_TIMEOUT + " (last: " + last + ")\n" + logs());
        return this;
    }

    /** The server's whole console log so far. */
    public String logText() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    /** The server log (tail), for failure messages. */
    public String logs() {
        StringBuilder out = new StringBuilder();
        List<Path> all = new ArrayList<>();
        all.add(log);
        all.addAll(extraLogs());
        for (Path p : all) {
            out.append("----- ").append(p).append(" (tail) -----\n");
            try {
                List<String> lines = Files.readAllLines(p, StandardCharsets.UTF_8);
                lines.subList(Math.max(0, lines.size() - 200), lines.size()).forEach(l -> out.append(l).append('\n'));
            } catch (IOException e) {
                out.append("(unreadable: ").append(e).append(")\n");
            }
        }
        return out.toString();
    }

    /** The whole console log so far. */
    public String consoleLog() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    /** SIGTERM (graceful undeploy), then SIGKILL after {@link #STOP_TIMEOUT}; returns the exit status or -1. */
    public int stop() {
        if (process == null) {
            return -1;
        }
        try {
            terminate(process);
            if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                System.out.println(describe() + " did not stop within " + STOP_TIMEOUT + ": killing it");
                kill();
                return -1;
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill();
            return -1;
        }
    }

    /** Kills the server and anything it started, for sure. */
    public void kill() {
        Process p = process;
        if (p == null) {
            return;
        }
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        dev.chat.testing.FreshMemberships.untrack(dev.chat.testing.FreshMemberships.Store.sqlite(dataDir));
        try {
            stop();
        } finally {
            kill();
            if (killer != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(killer);
                } catch (IllegalStateException e) {
                    // the JVM is shutting down; the hook runs anyway
                }
            }
        }
    }

    protected static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** A port free on 127.0.0.1 right now (the server binds it a moment later). */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    protected static Path requiredPath(String property) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("system property " + property + " is not set: run with -Pcontainers");
        }
        return Path.of(value).toAbsolutePath();
    }
}
