package dev.chat.deploy;

import static dev.chat.testing.TestServer.credentials;
import static dev.chat.testing.TestServer.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.chat.auth.JwtTokenIssuer;
import dev.chat.auth.Principal;
import dev.chat.testing.RawHttp;
import dev.chat.testing.RemoteServer;
import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * The protocol and auth contract of the embedded-server tests ({@code dev.chat.server}), run
 * against the unchanged {@code target/chat.war} deployed on a real server and reached only through
 * its URL ({@code http://127.0.0.1:PORT/chat/}). A subclass says which server. The last test stops
 * the server and checks the graceful shutdown.
 */
@Timeout(60)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class DeployedWarContract {
    /** Small enough that an oversize frame is easy to send, large enough for every other test. */
    static final int MAX_FRAME_BYTES = 4096;
    /** Above what the other tests hold at once from 127.0.0.1, which counts as one client too. */
    static final int MAX_CONNECTIONS_PER_ADDRESS = 40;
    /** The body deadline, short so the slow-body test is quick. */
    static final Duration HTTP_TIMEOUT = Duration.ofSeconds(3);
    /**
     * The container's own idle bound for HTTP connections, set as the README's "HTTP timeouts in
     * the WAR" says ({@link PayaraMicroServer#idleTimeout}, {@link WildFlyServer#idleTimeout}).
     */
    static final Duration CONTAINER_IDLE = Duration.ofSeconds(4);
    /** More slow bodies than either container has workers by default (WildFly: 16 per core). */
    static final int STALLED_BODIES = 48;
    /** Given through the container's own config source (see {@link DeployedServer#containerConfig}); higher than the default, so harmless. */
    static final String CONTAINER_SETTING = "CHAT_RATE_PER_SEC";
    static final String CONTAINER_SETTING_VALUE = "25";
    static final Map<String, String> SETTINGS = Map.of("chat.max.frame.bytes", Integer.toString(MAX_FRAME_BYTES),
            "chat.http.timeout", HTTP_TIMEOUT.toMillis() + "ms",
            // the tests' own address plays a reverse proxy, so each test can be a client of its own
            "chat.trusted.proxies", "127.0.0.1",
            "chat.max.connections.per.address", Integer.toString(MAX_CONNECTIONS_PER_ADDRESS),
            "chat.max.connections.per.user", "1000", // one user holds the connections of the per-address test
            "chat.api.keys", dev.chat.testing.ServerApiClient.KEYS);

    private DeployedServer deployed;
    private RemoteServer server;
    private String alice;
    private String bob;
    private String carol;

    /** A server (not yet started) with the WAR and these {@code chat.*} settings. */
    abstract DeployedServer newServer(Map<String, String> settings);

    @BeforeAll
    void start() throws Exception {
        deployed = newServer(SETTINGS).start();
        server = deployed.remote();
        alice = server.token("alice");
        bob = server.token("bob");
        carol = server.token("carol");
    }

    @AfterAll
    void stop() {
        if (deployed != null) {
            deployed.close();
        }
    }

    // ---- settings ------------------------------------------------------------------------------

    /** The WAR reads the container's MicroProfile Config: a setting from the container's own source applies. */
    @Test
    void aSettingFromTheContainersOwnConfigSourceApplies() throws Exception {
        Map<String, Object> protocol = TestServer.json(server.get("api/protocol").body());
        assertEquals(Integer.parseInt(CONTAINER_SETTING_VALUE), ((Number) ((Map<?, ?>) protocol.get("rate")).get("perSec")).intValue(),
                protocol::toString);
    }

    /**
     * The container's own health endpoint (what a platform probing the container sees) carries the
     * chat's checks, one check "chat" per kind with the node's checks in its data.
     */
    @Test
    void theContainersOwnHealthEndpointCarriesTheChatsChecks() throws Exception {
        Map<String, Map<String, Object>> expected = Map.of(
                "health/ready", Map.of("accepting", "UP", "database", "UP"),
                "health/live", Map.of("process", "UP"),
                "health/started", Map.of("started", "UP"));
        for (Map.Entry<String, Map<String, Object>> e : expected.entrySet()) {
            Map.Entry<Integer, Map<String, Object>> answer = deployed.chatCheck(e.getKey());
            assertEquals(200, answer.getKey(), e.getKey() + ": " + answer.getValue());
            assertEquals("UP", answer.getValue().get("status"), e.getKey() + ": " + answer.getValue());
            assertEquals(e.getValue(), answer.getValue().get("data"), e.getKey());
        }
    }

    /** The WAR's libraries that log through SLF4J (Jedis, HikariCP) reach the server's log, never SLF4J's no-op logger. */
    @Test
    void slf4jLogsGoToTheServersLog() throws Exception {
        String log = deployed.logText();
        assertFalse(log.contains("Defaulting to no-operation (NOP) logger"), () -> deployed.describe() + ":\n" + deployed.logs());
        assertFalse(log.contains("multiple SLF4J bindings"), () -> deployed.describe() + ":\n" + deployed.logs());
    }

    // ---- HTTP API ------------------------------------------------------------------------------

    @Test
    void registerAnswers201ThenTaken409() throws Exception {
        HttpResponse<String> r = server.post("api/register", credentials("reg.ok_1", "password1"));
        assertEquals(201, r.statusCode(), r::body);
        assertEquals(Map.of("username", "reg.ok_1"), json(r.body()));
        // Undertow writes it without the space ("application/json;charset=utf-8"): compare the media type
        assertEquals("application/json;charset=utf-8", r.headers().firstValue("Content-Type").orElse("").toLowerCase().replace(" ", ""));
        assertEquals("no-store", r.headers().firstValue("Cache-Control").orElse(""));
        assertEquals("nosniff", r.headers().firstValue("X-Content-Type-Options").orElse(""));
        System.out.println(deployed.describe() + " API response headers: " + r.headers().map());
        HttpResponse<String> again = server.post("api/register", credentials("reg.ok_1", "otherpassword"));
        assertEquals(409, again.statusCode());
        assertEquals("username is taken", json(again.body()).get("error"));
        try (java.sql.Connection db = java.sql.DriverManager.getConnection("jdbc:sqlite:" + deployed.dataDir.resolve("chat.db"));
             java.sql.ResultSet rs = db.createStatement().executeQuery("SELECT name FROM users WHERE name = 'reg.ok_1'")) {
            assertTrue(rs.next(), "users persisted in the SQLite store under -Dchat.data.dir");
        }
    }

    @Test
    void invalidRegistrationsAre400() throws Exception {
        for (String name : List.of("", "has space", "x".repeat(33), "<script>", "ünï")) {
            HttpResponse<String> r = server.post("api/register", credentials(name, "password1"));
            assertEquals(400, r.statusCode(), () -> name + ": " + r.body());
            assertEquals("username must match ^[A-Za-z0-9_.-]{1,32}$", json(r.body()).get("error"));
        }
        HttpResponse<String> shortPw = server.post("api/register", credentials("shortpw", "1234567"));
        assertEquals(400, shortPw.statusCode());
        for (String body : List.of("", "not json", "[]", "{\"username\":\"a\"}", "{\"username\":1,\"password\":\"password1\"}")) {
            for (String path : List.of("api/register", "api/login")) {
                HttpResponse<String> r = server.post(path, body);
                assertEquals(400, r.statusCode(), path + " " + body);
                assertTrue(json(r.body()).containsKey("error"));
            }
        }
        assertEquals(413, server.post("api/register", "{\"username\":\"" + "a".repeat(20_000) + "\"}").statusCode());
    }

    @Test
    void loginAnswers200WithAnHs256TokenOr401() throws Exception {
        server.post("api/register", credentials("tok", "password1"));
        HttpResponse<String> r = server.post("api/login", credentials("tok", "password1"));
        assertEquals(200, r.statusCode());
        assertEquals("no-store", r.headers().firstValue("Cache-Control").orElse(""));
        SignedJWT jwt = SignedJWT.parse((String) json(r.body()).get("token"));
        assertEquals("HS256", jwt.getHeader().getAlgorithm().getName());
        assertEquals("tok", jwt.getJWTClaimsSet().getSubject());
        assertEquals("user", jwt.getJWTClaimsSet().getStringClaim("role"));
        // signed with the secret given to the server as -Dchat.jwt.secret
        assertTrue(jwt.verify(new com.nimbusds.jose.crypto.MACVerifier(TestServer.SECRET.getBytes(StandardCharsets.UTF_8))));

        HttpResponse<String> wrong = server.post("api/login", credentials("tok", "password2"));
        HttpResponse<String> unknown = server.post("api/login", credentials("nobody-here", "password1"));
        assertEquals(401, wrong.statusCode());
        assertEquals(401, unknown.statusCode());
        assertEquals(Map.of("error", "invalid credentials"), json(wrong.body()));
        assertEquals(wrong.body(), unknown.body());
    }

    @Test
    void theSessionCookieIsOnTheContextsApiPathRotatesAndLogoutEverywhereCloses4503() throws Exception {
        server.post("api/register", credentials("sess", "password-sess"));
        java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1).build();
        java.util.function.BiFunction<String, String, java.net.http.HttpRequest> withCookie = (path, cookie) ->
                java.net.http.HttpRequest.newBuilder(server.base().resolve(path)).header("Content-Type", "application/json")
                        .header("Origin", server.origin()).header("Cookie", "chat_refresh=" + cookie)
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}")).build();
        HttpResponse<String> login = server.post("api/login", credentials("sess", "password-sess"));
        String set = login.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith("chat_refresh=")).findFirst().orElseThrow();
        assertTrue(List.of(set.split(";\\s*")).containsAll(List.of("Path=/" + DeployedServer.CONTEXT + "/api", "HttpOnly", "SameSite=Strict")), set);
        String cookie = set.substring("chat_refresh=".length(), set.indexOf(';'));
        HttpResponse<String> refreshed = http.send(withCookie.apply("api/refresh", cookie), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, refreshed.statusCode(), refreshed::body);
        assertEquals(401, http.send(withCookie.apply("api/refresh", cookie), HttpResponse.BodyHandlers.ofString()).statusCode(),
                "the rotated-out token is a reuse");
        String token = server.login("sess");
        try (WsClient open = WsClient.connect(server.ws(token), Map.of("Origin", server.origin()))) {
            open.expect("welcome");
            HttpResponse<String> out = http.send(java.net.http.HttpRequest.newBuilder(server.base().resolve("api/logout"))
                    .header("Content-Type", "application/json").header("Authorization", "Bearer " + token)
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"everywhere\":true}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, out.statusCode(), out::body);
            WsClient.assertCode(4503, open);
        }
        assertClosedBeforeAnyFrame(4503, token, Map.of());
    }

    @Test
    void stalledBodiesGet408WhileLoginAndHealthAnswerMeanwhile() throws Exception {
        int port = server.base().getPort();
        String path = server.base().getPath();
        List<java.net.Socket> stalled = new ArrayList<>();
        try {
            for (int i = 0; i < STALLED_BODIES; i++) {
                java.net.Socket s = RawHttp.open(port);
                RawHttp.send(s, "POST " + path + "api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "Origin: " + server.origin() + "\r\nContent-Length: 100\r\n\r\n{\"u");
                stalled.add(s);
            }
            long stalledAt = System.nanoTime();
            // answered before the stalled bodies time out: no worker is waiting on them
            assertEquals(200, server.post("api/login", credentials("alice", "password-alice")).statusCode());
            assertEquals(200, server.get("health/live").statusCode());
            assertEquals(200, server.get("").statusCode());
            long servedIn = System.nanoTime() - stalledAt;
            assertTrue(servedIn < HTTP_TIMEOUT.toNanos(), "served while the bodies stalled, in " + servedIn / 1_000_000 + " ms");

            // answered 408 (the connection is then the container's: WildFly keeps it to drain the body
            // until its read-timeout; see the README, HTTP timeouts in the WAR)
            long deadline = stalledAt + HTTP_TIMEOUT.plusSeconds(5).toNanos();
            for (java.net.Socket s : stalled) {
                String answer = RawHttp.readResponse(s, Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime())));
                assertTrue(answer.startsWith("HTTP/1.1 408 "), answer);
                assertTrue(answer.contains("{\"error\":\"request body not received in time\"}"), answer);
            }
            long answeredAfter = System.nanoTime() - stalledAt;
            assertTrue(answeredAfter >= HTTP_TIMEOUT.minusMillis(500).toNanos(), "not before the timeout: " + answeredAfter / 1_000_000 + " ms");
        } finally {
            for (java.net.Socket s : stalled) {
                s.close();
            }
        }
    }

    @Test
    void aBodyOverTheLimitIs413AndABodyInPiecesIsAnswered() throws Exception {
        assertEquals(413, server.post("api/login", "{\"username\":\"" + "x".repeat(20_000) + "\"}").statusCode());
        String body = credentials("alice", "password-alice");
        try (java.net.Socket s = RawHttp.open(server.base().getPort())) {
            RawHttp.send(s, "POST " + server.base().getPath() + "api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Origin: " + server.origin() + "\r\nContent-Length: " + body.length() + "\r\n\r\n" + body.substring(0, 10));
            Thread.sleep(300); // the rest comes later, as from a slow line: the reader must wait for it
            RawHttp.send(s, body.substring(10));
            assertTrue(RawHttp.readResponse(s, Duration.ofSeconds(10)).startsWith("HTTP/1.1 200 "));
        }
    }

    /** What the README's recipe for the container's idle timeout gives: an idle socket cannot be held open. */
    @Test
    void aSocketThatSendsNothingIsClosedByTheContainersIdleTimeout() throws Exception {
        try (java.net.Socket s = RawHttp.open(server.base().getPort())) {
            long openedAt = System.nanoTime();
            assertEquals("", RawHttp.readUntilClosed(s, openedAt + CONTAINER_IDLE.plusSeconds(6).toNanos()));
        }
    }

    /** ... and that recipe leaves WebSockets alone: their liveness is the chat's heartbeat. */
    @Test
    void aWebSocketSilentForLongerThanTheContainersIdleTimeoutStaysOpenAndStillReceives() throws Exception {
        try (WsClient quiet = server.client(alice); WsClient talker = server.client(bob)) {
            quiet.join("quiet-room");
            talker.join("quiet-room");
            assertEquals("joined", quiet.expect("presence").get("state"));
            assertNull(quiet.poll(CONTAINER_IDLE.plusSeconds(3)), "nothing, not even a close, reaches the silent client");
            assertFalse(quiet.isClosed());
            talker.say("quiet-room", "still there?");
            assertEquals("still there?", quiet.expect("message").get("text"));
        }
    }

    @Test
    void protocolTablesPageAndErrors() throws Exception {
        HttpResponse<String> r = server.get("api/protocol");
        assertEquals(200, r.statusCode());
        assertEquals(1, ((Number) json(r.body()).get("protocol")).intValue());
        assertTrue(r.body().contains("{\"code\":4500,\"name\":\"unauthorized\",\"reconnect\":false"), r.body());
        assertEquals(404, server.post("api/nothing", "{}").statusCode());
        HttpResponse<String> wrongMethod = server.get("api/login");
        assertEquals(405, wrongMethod.statusCode());
        assertEquals("POST", wrongMethod.headers().firstValue("Allow").orElse(null), "the container passes the API's headers on");
        HttpResponse<String> openApi = server.get("api/openapi.json");
        assertEquals(200, openApi.statusCode(), openApi::body);
        Map<String, Object> document = json(openApi.body());
        assertEquals("3.1.0", document.get("openapi"));
        assertEquals(json(r.body()).get("version"), ((Map<?, ?>) document.get("info")).get("version"), "the WAR serves its own document");
        HttpResponse<String> page = server.get("");
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("<script type=\"module\" src=\"app.js\""), page.body());
        assertEquals(200, server.get("app.js").statusCode());
    }

    /** The WAR's own health endpoints, below its context root, in MicroProfile Health's shape like the jar's. */
    @Test
    void healthInMicroProfileHealthsShapeAndMetrics() throws Exception {
        Map<String, Map<String, String>> expected = Map.of(
                "health/live", Map.of("process", "UP"),
                "health/ready", Map.of("accepting", "UP", "database", "UP"),
                "health/started", Map.of("started", "UP"),
                "health", Map.of("process", "UP", "started", "UP", "accepting", "UP", "database", "UP"));
        for (Map.Entry<String, Map<String, String>> e : expected.entrySet()) {
            HttpResponse<String> r = server.get(e.getKey());
            assertEquals(200, r.statusCode(), e.getKey() + ": " + r.body());
            assertEquals("UP", json(r.body()).get("status"), r.body());
            assertEquals(e.getValue(), TestServer.checks(r.body()), r.body());
            assertTrue(r.body().contains("\"data\":{"), r.body());
        }
        HttpResponse<String> metrics = server.get("metrics");
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.body().contains("chat_connections_open"), metrics.body());
    }

    // ---- handshake -----------------------------------------------------------------------------

    /** Connects and expects a close with {@code code} as the very first thing the server sends. */
    private void assertClosedBeforeAnyFrame(int code, String token, Map<String, String> headers) throws Exception {
        try (WsClient client = WsClient.connect(server.ws(token), headers)) {
            WsClient.assertCode(code, client);
            assertTrue(client.drain().isEmpty(), "no frame may precede the close");
        }
    }

    @Test
    void aValidTokenInTheQueryOrABearerHeaderGetsTheWelcome() throws Exception {
        try (WsClient client = WsClient.connect(server.ws(alice), Map.of("Origin", server.origin()))) {
            Map<String, Object> welcome = client.expect("welcome");
            assertEquals("alice", welcome.get("user"));
            assertEquals(1, ((Number) welcome.get("protocol")).intValue());
        }
        try (WsClient client = WsClient.connect(server.ws(null), Map.of("Authorization", "Bearer " + bob))) {
            assertEquals("bob", client.welcome());
        }
    }

    @Test
    void missingGarbageForgedAlgNoneAndUnknownUserTokensAreClosed4500() throws Exception {
        assertClosedBeforeAnyFrame(4500, null, Map.of());
        assertClosedBeforeAnyFrame(4500, "not.a.jwt", Map.of());
        assertClosedBeforeAnyFrame(4500, null, Map.of("Authorization", "Bearer x" + alice));
        assertClosedBeforeAnyFrame(4500, sign("alice", "another-secret-another-secret-0123456789"), Map.of());
        assertClosedBeforeAnyFrame(4500, sign("never-registered", TestServer.SECRET), Map.of());
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        long exp = Instant.now().plusSeconds(600).getEpochSecond();
        String none = b64.encodeToString("{\"alg\":\"none\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(("{\"sub\":\"alice\",\"role\":\"user\",\"exp\":" + exp + "}").getBytes(StandardCharsets.UTF_8)) + ".";
        assertClosedBeforeAnyFrame(4500, none, Map.of());
    }

    @Test
    void expiredTokenIsClosed4501() throws Exception {
        Clock twoHoursAgo = Clock.fixed(Instant.now().minus(Duration.ofHours(2)), ZoneOffset.UTC);
        String expired = new JwtTokenIssuer(TestServer.SECRET.getBytes(StandardCharsets.UTF_8), Duration.ofHours(1), twoHoursAgo)
                .issue("alice", Principal.ROLE_USER).token();
        assertClosedBeforeAnyFrame(4501, expired, Map.of());
    }

    @Test
    void foreignOriginIsClosed4502() throws Exception {
        assertClosedBeforeAnyFrame(4502, alice, Map.of("Origin", "http://evil.example"));
        assertClosedBeforeAnyFrame(4502, alice, Map.of("Origin", "http://127.0.0.1:1"));
    }

    @Test
    void nullOriginIsRefusedBeforeTheUpgrade() {
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> WsClient.connect(server.ws(alice), Map.of("Origin", "null")).close());
        assertTrue(e.getCause() instanceof WebSocketHandshakeException, e.toString());
        int status = ((WebSocketHandshakeException) e.getCause()).getResponse().statusCode();
        System.out.println(deployed.describe() + ": Origin: null refused before the upgrade with HTTP " + status);
        // the status is the runtime's choice once checkOrigin says no: 403 (embedded Tyrus, Payara), 404 (Undertow)
        assertTrue(status == 403 || status == 404, "refused with " + status);
    }

    /**
     * The handshake's verdict travels in the user properties from modifyHandshake to @OnOpen. If the
     * runtime shared them between concurrent handshakes, verdicts would cross: a forged token could
     * get a welcome, or a user another user's name.
     */
    @Test
    void concurrentHandshakesKeepTheirOwnVerdicts() throws Exception {
        String forged = sign("alice", "another-secret-another-secret-0123456789");
        Map<String, String> tokens = Map.of("alice", alice, "bob", bob, "carol", carol);
        ExecutorService pool = Executors.newFixedThreadPool(16);
        java.util.concurrent.atomic.AtomicInteger containerErrors = new java.util.concurrent.atomic.AtomicInteger();
        try {
            for (int round = 0; round < 8; round++) {
                List<Future<String>> results = new ArrayList<>();
                List<String> expected = new ArrayList<>();
                for (int i = 0; i < 12; i++) {
                    String user = i % 4 == 3 ? null : List.of("alice", "bob", "carol").get(i % 4);
                    String token = user == null ? forged : tokens.get(user);
                    expected.add(user == null ? "closed 4500" : "welcome " + user);
                    results.add(pool.submit(() -> firstVerdict(token, containerErrors)));
                }
                for (int i = 0; i < results.size(); i++) {
                    assertEquals(expected.get(i), results.get(i).get(30, TimeUnit.SECONDS), "connection " + i + " of round " + round);
                }
            }
            System.out.printf("%s: %d of 96 concurrent upgrades answered 5xx by the container, then retried%n",
                    deployed.describe(), containerErrors.get());
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * The first thing a client with {@code token} sees: {@code "welcome <user>"} or {@code "closed <code>"}.
     * An upgrade the container itself answers with a 5xx is tried again, as every client reconnects:
     * Payara's server-side closes can recycle a request object under a concurrent request (Payara
     * issue 5432, README "Deploying the WAR"); such an answer carries no verdict, so it crosses none.
     */
    private String firstVerdict(String token, java.util.concurrent.atomic.AtomicInteger containerErrors) throws Exception {
        for (int attempt = 1; ; attempt++) {
            WsClient c;
            try {
                c = WsClient.connect(server.ws(token), Map.of("Origin", server.origin()));
            } catch (ExecutionException e) {
                if (attempt < 3 && e.getCause() instanceof WebSocketHandshakeException refused
                        && refused.getResponse().statusCode() >= 500) {
                    containerErrors.incrementAndGet();
                    continue;
                }
                throw e;
            }
            try (c) {
                long deadline = System.nanoTime() + WsClient.WAIT.toNanos();
                while (System.nanoTime() < deadline) {
                    Map<String, Object> first = c.poll(Duration.ofMillis(20));
                    if (first != null) {
                        return first.get("type") + " " + first.get("user");
                    }
                    if (c.isClosed()) {
                        return "closed " + c.awaitClose();
                    }
                }
                return "neither a frame nor a close";
            }
        }
    }

    /**
     * The container tells the standard API no peer address; the WAR's request listener must have
     * recorded it for the handshake, or no per-address limit would apply at all.
     */
    @Test
    void webSocketsOfOneForwardedClientAreCappedWith4006AndAnotherClientStillConnects() throws Exception {
        Map<String, String> client = Map.of("Origin", server.origin(), "X-Forwarded-For", "203.0.113.40");
        List<WsClient> open = new ArrayList<>();
        try {
            for (int i = 0; i < MAX_CONNECTIONS_PER_ADDRESS; i++) {
                WsClient c = WsClient.connect(server.ws(alice), client);
                open.add(c);
                c.welcome();
            }
            try (WsClient over = WsClient.connect(server.ws(alice), client)) {
                assertEquals(4006, over.awaitClose());
            }
            try (WsClient other = WsClient.connect(server.ws(alice),
                    Map.of("Origin", server.origin(), "X-Forwarded-For", "203.0.113.41"))) {
                other.welcome();
            }
        } finally {
            open.forEach(WsClient::close);
        }
    }

    // ---- rooms ---------------------------------------------------------------------------------

    /** The server API in the container: its path is read raw (a user name with a '%' stays itself), the key works, a bot posts. */
    @Test
    void theServerApiPostsAsABotAndReadsTheRoomWithAKeyOnly() throws Exception {
        dev.chat.testing.ServerApiClient api = dev.chat.testing.ServerApiClient.of(server.base());
        try (WsClient a = server.client(alice)) {
            a.join("war-api");
            HttpResponse<String> posted = api.post("messages", "{\"room\":\"war-api\",\"from\":\"bot:ops\",\"text\":\"from a backend\"}");
            assertEquals(201, posted.statusCode(), posted::body);
            Map<String, Object> m = a.expect("message");
            assertEquals("bot:ops", m.get("from"));
            assertEquals("from a backend", m.get("text"));
            Map<String, Object> room = TestServer.json(api.get("rooms/war-api").body());
            assertEquals(List.of("alice"), room.get("members"), room::toString);
            HttpResponse<String> page = api.get("rooms/war-api/messages?limit=1");
            assertEquals(200, page.statusCode(), page::body);
            assertTrue(page.body().contains("\"text\":\"from a backend\""), page::body);
        }
        assertEquals(401, new dev.chat.testing.ServerApiClient(server.base(), null).get("rooms/war-api").statusCode());
        HttpResponse<String> odd = api.get("users/no%25body");
        assertEquals(404, odd.statusCode(), odd::body);
        assertTrue(odd.body().contains("there is no user no%body"), odd::body);
    }

    @Test
    void threeClientsChatWithSeqAckMessageAndPresence() throws Exception {
        try (WsClient a = server.client(alice); WsClient b = server.client(bob); WsClient c = server.client(carol)) {
            assertEquals(List.of("alice"), a.join("trio").get("members"));
            assertEquals(List.of("alice", "bob"), b.join("trio").get("members"));
            assertEquals(Map.of("type", "presence", "room", "trio", "user", "bob", "state", "joined"), a.next());
            assertEquals(List.of("alice", "bob", "carol"), c.join("trio").get("members"));
            assertEquals("carol", a.expect("presence").get("user"));
            assertEquals("carol", b.expect("presence").get("user"));

            assertEquals(1, a.say("trio", "hello"));
            for (WsClient other : List.of(b, c)) {
                Map<String, Object> m = other.expect("message");
                assertEquals("trio", m.get("room"));
                assertEquals("alice", m.get("from"));
                assertEquals("hello", m.get("text"));
                assertEquals("r2", m.get("id"));
                assertEquals(1, ((Number) m.get("seq")).longValue());
                Instant ts = Instant.parse((String) m.get("ts"));
                assertTrue(Math.abs(ts.toEpochMilli() - System.currentTimeMillis()) < 60_000, "ts is now: " + ts);
            }
            assertEquals(2, b.say("trio", "hi alice"));
            assertEquals("bob", c.expect("message").get("from"));
            assertEquals(3, c.say("trio", "hey both"));
            assertEquals(2, ((Number) a.expect("message").get("seq")).longValue());
            assertEquals(3, ((Number) a.expect("message").get("seq")).longValue());
            assertEquals("carol", b.expect("message").get("from"));
            a.assertNothingPending("trio");
            b.assertNothingPending("trio");
            c.assertNothingPending("trio");
        }
    }

    @Test
    void leaveAnswersLeftAndClosingLeavesEveryRoom() throws Exception {
        try (WsClient a = server.client(alice); WsClient b = server.client(bob)) {
            a.join("leaving");
            b.join("leaving");
            a.expect("presence");
            b.send(Map.of("type", "leave", "room", "leaving", "id", "bye"));
            assertEquals(Map.of("type", "left", "room", "leaving", "id", "bye"), b.next());
            assertEquals(Map.of("type", "presence", "room", "leaving", "user", "bob", "state", "left"), a.next());

            a.join("closing-1");
            a.join("closing-2");
            WsClient c = server.client(carol);
            c.join("closing-1");
            c.join("closing-2");
            a.expect("presence");
            a.expect("presence");
            c.close();
            Map<String, Object> first = a.expect("presence");
            Map<String, Object> second = a.expect("presence");
            assertEquals("left", first.get("state"));
            assertEquals("left", second.get("state"));
            assertEquals("carol", first.get("user"));
            assertEquals(Set.of("closing-1", "closing-2"), Set.of(first.get("room"), second.get("room")));
            assertEquals(List.of("alice"), a.join("closing-1").get("members"), "only alice is left");
            a.assertNothingPending("closing-1");
        }
    }

    @Test
    void badFramesAreAnsweredAndTheConnectionStaysOpen() throws Exception {
        try (WsClient a = server.client(alice); WsClient b = server.client(bob)) {
            a.join("bad");
            b.join("bad");
            a.expect("presence");
            for (String frame : List.of("{\"type\":\"send\",", "[1,2]", "{\"type\":\"join\",\"room\":\"has space\",\"id\":\"n1\"}",
                    "{\"type\":\"send\",\"room\":\"bad\",\"text\":\"\",\"id\":\"e1\"}")) {
                a.sendRaw(frame);
                assertEquals("bad_request", a.expect("error").get("code"), frame);
            }
            a.sendRaw("{\"type\":\"dance\",\"id\":\"d1\"}");
            Map<String, Object> unknown = a.expect("error");
            assertEquals("unknown_type", unknown.get("code"));
            assertEquals("d1", unknown.get("id"));
            a.sendBinary(new byte[] {1, 2, 3});
            Map<String, Object> binary = a.expect("error");
            assertEquals("bad_request", binary.get("code"));
            assertNull(binary.get("id"));
            a.send(Map.of("type", "send", "room", "nowhere", "text", "hi", "id", "s1"));
            assertEquals("not_joined", a.expect("error").get("code"));

            long seq = a.say("bad", "real");
            Map<String, Object> m = b.expect("message");
            assertEquals("real", m.get("text"));
            assertEquals(seq, ((Number) m.get("seq")).longValue());
            b.assertNothingPending("bad");
            assertFalse(a.isClosed());
        }
    }

    /**
     * A text within CHAT_MAX_TEXT but a frame over CHAT_MAX_FRAME_BYTES: the runtime must refuse it
     * (the endpoint sets it with setMaxTextMessageBufferSize) with 1009, or 1011 as embedded Tyrus does.
     */
    @Test
    void aFrameOverMaxFrameBytesIsClosedByTheRuntime() throws Exception {
        try (WsClient a = server.client(alice)) {
            a.join("big");
            String frame = "{\"type\":\"send\",\"room\":\"big\",\"text\":\"" + "x".repeat(MAX_FRAME_BYTES) + "\",\"id\":\"big\"}";
            a.sendRaw(frame);
            Map<String, Object> answer = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (answer == null && !a.isClosed() && System.nanoTime() < deadline) {
                answer = a.poll(Duration.ofMillis(50));
            }
            String outcome;
            if (a.isClosed()) {
                outcome = "closed " + a.awaitClose() + " \"" + a.closeReason() + "\"";
            } else {
                a.send(Map.of("type", "join", "room", "big", "id", "probe"));
                outcome = "NOT closed; a later request got " + a.poll(Duration.ofSeconds(5));
            }
            System.out.println(deployed.describe() + ": a " + frame.length() + "-byte frame (max " + MAX_FRAME_BYTES
                    + ") -> first answer " + answer + "; " + outcome);
            assertNull(answer, "the frame must not reach the application");
            assertTrue(a.isClosed(), outcome);
            int code = a.awaitClose();
            assertTrue(code == 1009 || code == 1011, "1009 (or 1011) expected: " + outcome);
        }
    }

    /**
     * Thirty-five messages sent back to back (within the default rate burst): the receiver gets each once, in seq order, whether the
     * outbox coalesced some of them into one frame (objects separated by newlines) or not.
     */
    @Test
    void burstsArriveInOrderAndCoalescedFramesSplit() throws Exception {
        List<String> raw = Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<Void> all = new CompletableFuture<>();
        int n = 35;
        WebSocket.Listener listener = new WebSocket.Listener() {
            private final StringBuilder partial = new StringBuilder();
            private int messages;

            @Override
            public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                partial.append(data);
                if (last) {
                    raw.add(partial.toString());
                    messages += (int) partial.toString().lines().filter(l -> l.contains("\"type\":\"message\"")).count();
                    partial.setLength(0);
                    if (messages >= n) {
                        all.complete(null);
                    }
                }
                ws.request(1);
                return null;
            }
        };
        try (WsClient a = server.client(alice)) {
            a.join("burst");
            WebSocket rawBob = HttpClient.newHttpClient().newWebSocketBuilder()
                    .buildAsync(server.ws(bob), listener).get(10, TimeUnit.SECONDS);
            try {
                rawBob.sendText("{\"type\":\"join\",\"room\":\"burst\",\"id\":\"j\"}", true).join();
                a.expect("presence");
                for (int i = 1; i <= n; i++) {
                    a.send(Map.of("type", "send", "room", "burst", "text", "m" + i, "id", "b" + i));
                }
                for (int i = 1; i <= n; i++) {
                    a.expect("ack");
                }
                all.get(20, TimeUnit.SECONDS);
            } finally {
                rawBob.abort();
            }
        }
        List<Map<String, Object>> messages = new ArrayList<>();
        synchronized (raw) {
            for (String frame : raw) {
                for (String line : frame.split("\n")) {
                    Map<String, Object> o = json(line);
                    if ("message".equals(o.get("type"))) {
                        messages.add(o);
                    }
                }
            }
        }
        long multi = raw.stream().filter(f -> f.contains("\n")).count();
        System.out.println(deployed.describe() + ": " + n + " messages arrived in " + raw.size() + " frames, "
                + multi + " of them coalesced");
        assertEquals(n, messages.size());
        for (int i = 0; i < n; i++) {
            assertEquals("m" + (i + 1), messages.get(i).get("text"));
            assertEquals(i + 1, ((Number) messages.get(i).get("seq")).intValue());
        }
    }

    // ---- shutdown (last: it stops the server) ---------------------------------------------------

    @Test
    @Order(Integer.MAX_VALUE)
    void stoppingTheServerClosesConnectionsWith1001() throws Exception {
        WsClient a = server.client(alice);
        a.join("shutdown");
        long t0 = System.nanoTime();
        int exit = deployed.stop();
        long stopMs = (System.nanoTime() - t0) / 1_000_000;
        String observed = a.isClosed() ? Integer.toString(a.awaitClose()) : "not closed";
        System.out.println(deployed.describe() + ": stopped (SIGTERM) in " + stopMs + " ms, exit " + exit
                + "; the client saw close " + observed + " \"" + a.closeReason() + "\"");
        a.close();
        assertEquals("1001", observed, "graceful undeploy closes with 1001 Going Away");
    }

    private static String sign(String user, String secret) throws Exception {
        JWTClaimsSet claims = new JWTClaimsSet.Builder().subject(user).claim("role", "user")
                .issueTime(new Date()).expirationTime(Date.from(Instant.now().plusSeconds(600))).build();
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
        return jwt.serialize();
    }
}
