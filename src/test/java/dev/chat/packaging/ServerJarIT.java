package dev.chat.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.JarNode;
import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The shipped jar, run as an operator runs it ({@code java -jar target/chat-server.jar}): it says
 * where it listens, serves the page and the API, chats, refuses bad settings by name, never logs a
 * token or a password (with every level of {@code dev.chat} printed), and stops gracefully on SIGTERM.
 */
@Timeout(120)
class ServerJarIT {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private JarNode node;
    private Process process;

    @AfterEach
    void kill() throws InterruptedException {
        if (node != null) {
            node.close();
        }
    }

    /** Starts the jar with these settings and returns the URL it prints, or null if it exited first. */
    private String start(Map<String, String> env) throws Exception {
        return start(env, List.of());
    }

    private String start(Map<String, String> env, List<String> jvmOptions) throws Exception {
        node = JarNode.start(env, jvmOptions);
        process = node.process();
        return node.base();
    }

    private static HttpResponse<String> post(String url, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** java.util.logging set to print everything the chat logs, FINE and below included. */
    private static List<String> allChatLogging() throws Exception {
        Path config = Files.createTempFile("chat-logging-", ".properties");
        Files.writeString(config, String.join("\n",
                "handlers=java.util.logging.ConsoleHandler",
                "java.util.logging.ConsoleHandler.level=ALL",
                ".level=INFO",
                "dev.chat.level=ALL", ""));
        return List.of("-Djava.util.logging.config.file=" + config);
    }

    @Test
    void servesChatsAndStopsGracefullyOnSigterm() throws Exception {
        String base = start(Map.of("CHAT_PORT", "0", "CHAT_SHUTDOWN_GRACE", "3s"), allChatLogging());
        assertTrue(base != null, "no listening line in: " + node.log());
        assertTrue(HTTP.send(HttpRequest.newBuilder(URI.create(base)).build(), HttpResponse.BodyHandlers.ofString())
                .body().contains("app.js"));

        String[] tokens = new String[2];
        String[] users = {"jar-alice", "jar-bob"};
        for (int i = 0; i < 2; i++) {
            assertEquals(201, post(base + "api/register", TestServer.credentials(users[i], "password1")).statusCode());
            HttpResponse<String> login = post(base + "api/login", TestServer.credentials(users[i], "password1"));
            tokens[i] = (String) TestServer.json(login.body()).get("token");
        }
        assertEquals(401, post(base + "api/login", TestServer.credentials(users[0], "password1-wrong")).statusCode());
        URI ws = URI.create(base.replace("http://", "ws://") + "ws");
        try (WsClient a = WsClient.connect(URI.create(ws + "?access_token=" + tokens[0]), Map.of("Origin", base.substring(0, base.length() - 1)));
             WsClient b = WsClient.connect(ws, Map.of("Authorization", "Bearer " + tokens[1]))) {
            a.welcome();
            b.welcome();
            a.join("jar");
            b.join("jar");
            a.expect("presence");
            assertEquals(1, a.say("jar", "from the jar"));
            assertEquals("from the jar", b.expect("message").get("text"));

            long start = System.nanoTime();
            // SIGTERM; Process.destroy() would also close our end of its output, and lose the stop's lines
            process.toHandle().destroy();
            assertEquals(1001, a.awaitClose());
            assertEquals(1001, b.awaitClose());
            assertTrue(process.waitFor(10, TimeUnit.SECONDS), "the jar exits after SIGTERM");
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(8), "within the grace");
        }
        String log = node.log();
        assertTrue(log.contains("CHAT_JWT_SECRET is not set"), "warns about the generated key");
        for (String token : tokens) {
            assertFalse(log.contains(token), "a token was logged");
            assertFalse(log.contains(token.substring(token.lastIndexOf('.') + 1)), "a token signature was logged");
        }
        assertTrue(log.contains("open connection ") && log.contains("(user jar-alice, trace "), "the open is logged: " + log);
        assertFalse(log.contains("password1"), "a password (or the wrong one) was logged at some level");
        // an operator sees the stop begin, each connection go, and the end
        assertTrue(log.contains("stopping: draining 2 connections"), log);
        for (String user : users) {
            assertTrue(java.util.regex.Pattern.compile("close connection \\S+ \\(user " + user + ", trace [^)]*\\) code 1001")
                    .matcher(log).find(), () -> "the close of " + user + " is logged: " + log);
        }
        assertTrue(log.matches("(?s).*chat node \\S+ stopped.*"), log);
    }

    /** Log collectors parse lines: with CHAT_LOG_FORMAT=json every line the jar prints is one JSON object. */
    @Test
    void withJsonLogsEveryLineIsOneJsonObjectAndConnectionLinesCarryTheirIds() throws Exception {
        String base = start(Map.of("CHAT_PORT", "0", "CHAT_LOG_FORMAT", "json", "CHAT_SHUTDOWN_GRACE", "2s"));
        assertTrue(base != null, "no listening line in: " + node.log());
        assertEquals(201, post(base + "api/register", TestServer.credentials("json-alice", "password1")).statusCode());
        String token = (String) TestServer.json(post(base + "api/login", TestServer.credentials("json-alice", "password1")).body()).get("token");
        try (WsClient a = WsClient.connect(URI.create(base.replace("http://", "ws://") + "ws"), Map.of("Authorization", "Bearer " + token))) {
            a.welcome();
            process.toHandle().destroy();
            assertEquals(1001, a.awaitClose());
        }
        assertTrue(process.waitFor(10, TimeUnit.SECONDS));
        List<jakarta.json.JsonObject> lines = new java.util.ArrayList<>();
        for (String line : node.log().split("\n")) {
            try (jakarta.json.JsonReader r = jakarta.json.Json.createReader(new java.io.StringReader(line))) {
                lines.add(r.readObject()); // throws on a line that is not one JSON object
            } catch (RuntimeException e) {
                throw new AssertionError("not one JSON object: " + line, e);
            }
        }
        jakarta.json.JsonObject open = lines.stream().filter(o -> o.getString("message").startsWith("open connection"))
                .findFirst().orElseThrow(() -> new AssertionError("no open line in " + lines));
        assertEquals("json-alice", open.getString("user"));
        assertTrue(open.getString("message").contains(open.getString("connection")), open::toString);
        assertTrue(open.getString("trace").length() > 0, open::toString);
        assertEquals("INFO", open.getString("level"));
        assertTrue(lines.stream().anyMatch(o -> o.getString("message").matches("chat node \\S+ stopped")), lines::toString);
        assertFalse(node.log().contains(token), "a token was logged");
    }

    /** The jar as an operator fronts it: metrics and health on a management port, metrics behind a token never logged. */
    @Test
    void servesMetricsAndHealthOnTheManagementPortBehindTheTokenWhichItNeverLogs() throws Exception {
        int managementPort;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            managementPort = free.getLocalPort();
        }
        String token = "jar-scrape-token-0123456789";
        String base = start(Map.of("CHAT_PORT", "0", "CHAT_MANAGEMENT_PORT", Integer.toString(managementPort),
                "CHAT_METRICS_TOKEN", token), allChatLogging());
        assertTrue(base != null, node::log);
        URI management = URI.create("http://127.0.0.1:" + managementPort + "/");
        assertEquals(404, node.get("metrics").statusCode());
        assertEquals(404, node.get("health/ready").statusCode());
        assertEquals(200, node.get("api/protocol").statusCode());
        HttpResponse<String> ready = TestServer.get(management.resolve("health/ready"));
        assertEquals(200, ready.statusCode(), ready::body);
        assertEquals(Map.of("accepting", "UP", "database", "UP"), TestServer.checks(ready.body()));
        assertEquals(200, TestServer.get(management.resolve("health/started")).statusCode());
        assertEquals(401, TestServer.get(management.resolve("metrics")).statusCode());
        assertEquals(401, TestServer.get(management.resolve("metrics"), "Authorization", "Bearer wrong-" + token).statusCode());
        HttpResponse<String> metrics = TestServer.get(management.resolve("metrics"), "Authorization", "Bearer " + token);
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.body().contains("chat_connections_open"));
        assertTrue(node.log().contains("management (/metrics, /health/*) on port " + managementPort), node::log);
        assertTrue(node.log().contains("metricsToken=****"), node::log);
        assertFalse(node.log().contains(token), node::log);
    }

    /**
     * Settings from a directory of files (a Kubernetes Secret or ConfigMap mounted as files), under
     * either name, below the environment and system properties (MicroProfile Config's ordinals).
     */
    @Test
    void settingsComeFromTheFilesOfChatConfigDirBelowTheEnvironmentAndSystemProperties() throws Exception {
        Path dir = Files.createTempDirectory("chat-config-");
        Files.writeString(dir.resolve("CHAT_MAX_TEXT"), "123\n"); // as `kubectl create secret --from-file` writes it
        Files.writeString(dir.resolve("chat.max.frame.bytes"), "70000");
        Files.writeString(dir.resolve("CHAT_ROOM_RATE_PER_SEC"), "7");
        Files.writeString(dir.resolve("CHAT_RATE_PER_SEC"), "9");
        String base = start(Map.of("CHAT_PORT", "0", "CHAT_CONFIG_DIR", dir.toString(), "CHAT_ROOM_RATE_PER_SEC", "8"),
                List.of("-Dchat.rate.per.sec=11"));
        assertTrue(base != null, node::log);
        Map<String, Object> protocol = TestServer.json(node.get("api/protocol").body());
        assertEquals(123, ((Number) protocol.get("maxText")).intValue(), "a file named as the environment names it");
        assertEquals(11, ((Number) ((Map<?, ?>) protocol.get("rate")).get("perSec")).intValue(), "a system property beats the file");
        assertTrue(node.log().contains("maxFrameBytes=70000"), "a file named as a property: " + node.log());
        assertTrue(node.log().contains("roomRatePerSec=8"), "the environment beats the file: " + node.log());

        node.close();
        Files.write(dir.resolve("CHAT_KEYSTORE_BYTES"), new byte[] {(byte) 0xFF, (byte) 0xFE, 0, 1}); // not UTF-8: SmallRye would drop the whole directory
        String unreadable = start(Map.of("CHAT_PORT", "0", "CHAT_CONFIG_DIR", dir.toString()));
        assertEquals(null, unreadable);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        assertEquals(2, process.exitValue());
        assertTrue(node.log().contains("could not be read") && node.log().contains("CHAT_KEYSTORE_BYTES"), node::log);

        node.close();
        String missing = start(Map.of("CHAT_PORT", "0", "CHAT_CONFIG_DIR", dir.resolve("nowhere").toString()));
        assertEquals(null, missing);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        assertEquals(2, process.exitValue());
        assertTrue(node.log().contains("CHAT_CONFIG_DIR=" + dir.resolve("nowhere") + " is invalid"), node::log);
    }

    @Test
    void invalidSettingsStopTheStartNamingEachSetting() throws Exception {
        String base = start(Map.of("CHAT_PORT", "eighty", "CHAT_TOKEN_TTL", "soon", "CHAT_JWT_SECRET", "short-secret"));
        assertEquals(null, base);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        assertEquals(2, process.exitValue());
        String log = node.log();
        assertTrue(log.contains("CHAT_PORT=eighty is invalid"), log);
        assertTrue(log.contains("CHAT_TOKEN_TTL=soon is invalid"), log);
        assertTrue(log.contains("CHAT_JWT_SECRET is invalid"), log);
        assertFalse(log.contains("short-secret"), "the secret is never echoed");
    }
}
