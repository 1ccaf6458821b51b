package dev.chat.server;

import static dev.chat.testing.RawHttp.readUntilClosed;
import static dev.chat.testing.RawHttp.send;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.RawHttp;
import dev.chat.testing.SeededUsers;
import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Nobody can hold the embedded server's HTTP: a body that stalls gets 408 and its connection closed
 * after {@code CHAT_HTTP_TIMEOUT} without holding a worker meanwhile, a socket that sends nothing or
 * dribbles its headers is closed after the same, a kept-alive connection after
 * {@code CHAT_HTTP_KEEP_ALIVE}; and a silent WebSocket is closed by none of them.
 */
@Timeout(60)
class HttpTimeoutsTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(3);
    private static final Duration KEEP_ALIVE = Duration.ofSeconds(5); // apart from TIMEOUT, to tell them apart
    /** Deadlines are checked once a second; the rest is for a loaded machine. */
    private static final Duration LATE = Duration.ofSeconds(3);
    private static final Duration EARLY = Duration.ofMillis(200);
    /** More than Grizzly's worker threads (two per core), which blocking reads used to hold. */
    private static final int STALLED = Math.max(8, 2 * Runtime.getRuntime().availableProcessors() + 2);
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of(
                "CHAT_HTTP_TIMEOUT", TIMEOUT.toMillis() + "ms",
                "CHAT_HTTP_KEEP_ALIVE", KEEP_ALIVE.toMillis() + "ms",
                // no ping within any test: a WebSocket's silence is real silence
                "CHAT_PING_INTERVAL", "30s",
                "CHAT_IDLE_TIMEOUT", "60s"),
                SeededUsers.create("slow-victim", "ws-quiet", "ws-talker").dataDir());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void stalledBodiesGet408AndAreClosedWhileLoginThePageAndHealthAnswerMeanwhile() throws Exception {
        List<Socket> stalled = new ArrayList<>();
        try {
            for (int i = 0; i < STALLED; i++) {
                Socket s = open();
                send(s, "POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 100\r\n\r\n{\"u");
                stalled.add(s);
            }
            long stalledAt = System.nanoTime();

            // each answered well before the stalled bodies time out: no worker is waiting on them
            assertEquals(200, call(HttpRequest.newBuilder(uri("api/login")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(TestServer.credentials("slow-victim", "password-slow-victim")))));
            assertEquals(200, call(HttpRequest.newBuilder(uri("")).GET()));
            assertEquals(200, call(HttpRequest.newBuilder(uri("health/live")).GET()));
            assertEquals(200, call(HttpRequest.newBuilder(uri("health/ready")).GET()));
            long servedIn = System.nanoTime() - stalledAt;
            assertTrue(servedIn < TIMEOUT.toNanos(), "served while the bodies stalled, in " + servedIn / 1_000_000 + " ms");

            long deadline = stalledAt + TIMEOUT.plus(LATE).toNanos();
            for (Socket s : stalled) {
                String answer = readUntilClosed(s, deadline);
                assertTrue(answer.startsWith("HTTP/1.1 408 "), answer);
                assertTrue(answer.contains("{\"error\":\"request body not received in time\"}"), answer);
            }
            long closedAfter = System.nanoTime() - stalledAt;
            assertTrue(closedAfter >= TIMEOUT.minus(EARLY).toNanos(), "not before the timeout: " + closedAfter / 1_000_000 + " ms");
        } finally {
            for (Socket s : stalled) {
                s.close();
            }
        }
    }

    @Test
    void aBodyThatArrivesInPiecesWithinTheTimeoutIsAnsweredAndTheConnectionKeptAlive() throws Exception {
        String body = TestServer.credentials("slow-victim", "password-slow-victim");
        try (Socket s = open()) {
            send(s, "POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length() + "\r\n\r\n" + body.substring(0, 10));
            Thread.sleep(300); // the rest comes later, as from a slow line: the reader must wait for it
            send(s, body.substring(10));
            assertTrue(readResponse(s).startsWith("HTTP/1.1 200 "));
            send(s, "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            assertTrue(readResponse(s).startsWith("HTTP/1.1 200 "), "the same connection serves the next request");
        }
    }

    @Test
    void aSocketThatSendsNothingIsClosedAfterTheTimeout() throws Exception {
        try (Socket s = open()) {
            long openedAt = System.nanoTime();
            assertEquals("", readUntilClosed(s, openedAt + TIMEOUT.plus(LATE).toNanos()));
            long closedAfter = System.nanoTime() - openedAt;
            assertTrue(closedAfter >= TIMEOUT.minus(EARLY).toNanos(), "not before the timeout: " + closedAfter / 1_000_000 + " ms");
        }
    }

    @Test
    void aSocketThatDribblesItsRequestHeadersIsClosedAfterTheTimeoutHoweverOftenItSends() throws Exception {
        ExecutorService dribbler = Executors.newSingleThreadExecutor();
        try (Socket s = open()) {
            long openedAt = System.nanoTime();
            send(s, "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
            Future<?> dribbling = dribbler.submit(() -> {
                try {
                    while (true) {
                        Thread.sleep(100); // a byte ten times a second: each one must not buy more time
                        send(s, "a");
                    }
                } catch (IOException | InterruptedException closed) {
                    return null;
                }
            });
            readUntilClosed(s, openedAt + TIMEOUT.plus(LATE).toNanos());
            long closedAfter = System.nanoTime() - openedAt;
            assertTrue(closedAfter >= TIMEOUT.minus(EARLY).toNanos(), "not before the timeout: " + closedAfter / 1_000_000 + " ms");
            dribbling.cancel(true);
        } finally {
            dribbler.shutdownNow();
        }
    }

    @Test
    void aKeptAliveConnectionIdleAfterItsAnswerIsClosedAfterTheKeepAliveBound() throws Exception {
        try (Socket s = open()) {
            send(s, "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            assertTrue(readResponse(s).startsWith("HTTP/1.1 200 "));
            long answeredAt = System.nanoTime();
            assertEquals("", readUntilClosed(s, answeredAt + KEEP_ALIVE.plus(LATE).toNanos()));
            long closedAfter = System.nanoTime() - answeredAt;
            assertTrue(closedAfter >= KEEP_ALIVE.minus(EARLY).toNanos(),
                    "the keep-alive bound, not the header timeout: " + closedAfter / 1_000_000 + " ms");
        }
    }

    @Test
    void anUpgradedWebSocketSilentForLongerThanEveryHttpBoundStaysOpenAndStillReceives() throws Exception {
        try (WsClient quiet = server.client(SeededUsers.token("ws-quiet"));
             WsClient talker = server.client(SeededUsers.token("ws-talker"))) {
            quiet.join("quiet-room");
            talker.join("quiet-room");
            assertEquals("joined", quiet.expect("presence").get("state"));
            // neither sends nor receives anything (no ping either) for longer than both bounds and a check
            Duration silence = KEEP_ALIVE.plus(Duration.ofSeconds(2));
            assertNull(quiet.poll(silence), "nothing, not even a close, reaches the silent client");
            assertFalse(quiet.isClosed());
            assertEquals(1, talker.say("quiet-room", "still there?"), "the room's first message, acked");
            assertEquals("still there?", quiet.expect("message").get("text"));
        }
    }

    private static URI uri(String path) {
        return server.base().resolve(path);
    }

    /** A request that must be answered within the HTTP timeout; its status. */
    private static int call(HttpRequest.Builder request) throws Exception {
        return HTTP.send(request.timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static Socket open() throws IOException {
        return RawHttp.open(server.server().port());
    }

    private static String readResponse(Socket s) throws IOException {
        return RawHttp.readResponse(s, TIMEOUT);
    }
}
