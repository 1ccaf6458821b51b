package dev.chat.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.chat.config.ChatConfig;
import dev.chat.embedded.EmbeddedServer;
import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The embedded server on a free port with its own data directory, plus the HTTP calls tests need.
 * Settings are passed by their environment names; the target can also be the jar run as a
 * process (see {@code ServerJarIT}), through {@link #base}.
 */
public final class TestServer implements AutoCloseable {
    /** Fixed so that tests can sign their own tokens (forged, expired) against it. */
    public static final String SECRET = "test-secret-test-secret-test-secret-0123";
    private static final Jsonb JSONB = JsonbBuilder.create();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private final EmbeddedServer server;
    private final Path dataDir;
    private final Map<String, String> settings;

    private TestServer(EmbeddedServer server, Path dataDir, Map<String, String> settings) {
        this.server = server;
        this.dataDir = dataDir;
        this.settings = settings;
    }

    public static TestServer start() {
        return start(Map.of());
    }

    public static TestServer start(Map<String, String> overrides) {
        try {
            return start(overrides, Files.createTempDirectory("chat-test-"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static TestServer start(Map<String, String> overrides, Path dataDir) {
        Map<String, String> env = new HashMap<>();
        env.put("CHAT_PORT", "0");
        env.put("CHAT_JWT_SECRET", SECRET);
        env.put("CHAT_REGISTER_MAX_PER_ADDRESS", "100000"); // every test client registers from 127.0.0.1
        env.put("CHAT_ROOM_RATE_PER_SEC", "1000000"); // tests that raise CHAT_RATE_PER_SEC mean the room too
        env.put("CHAT_MAX_CONNECTIONS_PER_ADDRESS", "100000"); // and connects from it
        env.put("CHAT_MAX_HANDSHAKES_PER_ADDRESS_PER_SECOND", "100000");
        env.put("CHAT_DATA_DIR", dataDir.toString());
        env.putAll(overrides);
        try {
            TestServer started = new TestServer(EmbeddedServer.start(ChatConfig.load(env, new Properties())), dataDir, env);
            FreshMemberships.track(started.store());
            return started;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops this server and starts a new one on the same data directory (a restart). */
    public TestServer restart() {
        close();
        return start(settings, dataDir);
    }

    public EmbeddedServer server() {
        return server;
    }

    public URI base() {
        return URI.create(server.url());
    }

    public URI ws(String token) {
        String query = token == null ? "" : "?access_token=" + URLEncoder.encode(token, StandardCharsets.UTF_8);
        return URI.create("ws://127.0.0.1:" + server.port() + "/ws" + query);
    }

    public String origin() {
        return "http://127.0.0.1:" + server.port();
    }

    public HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(base().resolve(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A GET of any URI (the management port's), with header names and values in pairs. */
    public static HttpResponse<String> get(URI uri, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).GET();
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The management port's base URI; only when it was started with {@code CHAT_MANAGEMENT_PORT}. */
    public URI management() {
        return URI.create("http://127.0.0.1:" + server.managementPort() + "/");
    }

    /** The status of each check of a MicroProfile Health body, by name, in the body's order. */
    @SuppressWarnings("unchecked")
    public static Map<String, String> checks(String healthBody) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (Object check : (java.util.List<Object>) json(healthBody).get("checks")) {
            Map<String, Object> c = (Map<String, Object>) check;
            out.put((String) c.get("name"), (String) c.get("status"));
        }
        return out;
    }

    public HttpResponse<String> post(String path, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(base().resolve(path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

    public static String credentials(String user, String password) {
        return JSONB.toJson(Map.of("username", user, "password", password));
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> json(String body) {
        return JSONB.fromJson(body, Map.class);
    }

    /** Registers (201) and logs in (200) a user; returns the token. */
    public String token(String user) throws Exception {
        assertEquals(201, post("api/register", credentials(user, "password-" + user)).statusCode());
        return login(user);
    }

    public String login(String user) throws Exception {
        HttpResponse<String> login = post("api/login", credentials(user, "password-" + user));
        assertEquals(200, login.statusCode(), login::body);
        return (String) json(login.body()).get("token");
    }

    /** A connected client that has read its welcome frame. */
    public WsClient client(String token) throws Exception {
        WsClient client = WsClient.connect(ws(token), Map.of("Origin", origin()));
        client.welcome();
        return client;
    }

    /**
     * Ends every stored room membership, as if each user had left each room ({@link FreshMemberships}
     * does it after every test; a test that restarts servers within itself calls it between them).
     */
    public void forgetMemberships() {
        FreshMemberships.forget(store());
    }

    private FreshMemberships.Store store() {
        return settings.containsKey("CHAT_DB_URL")
                ? new FreshMemberships.Store(settings.get("CHAT_DB_URL"), settings.get("CHAT_DB_USER"), settings.get("CHAT_DB_PASSWORD"))
                : FreshMemberships.Store.sqlite(dataDir);
    }

    @Override
    public void close() {
        server.close();
        FreshMemberships.untrack(store());
    }
}
