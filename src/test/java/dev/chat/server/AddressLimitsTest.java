package dev.chat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.chat.testing.RawWsClient;
import dev.chat.testing.SeededUsers;
import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Limits per client address: 1,000 free accounts x 10 connections from one address once filled a
 * node in 5.8 s. Connections per address ({@code CHAT_MAX_CONNECTIONS_PER_ADDRESS}: in the jar every
 * TCP connection, 429 before anything is read; WebSockets per forwarded client behind a trusted
 * proxy, 4006), handshakes per address per second (4007), and {@code X-Forwarded-For} believed from
 * {@code CHAT_TRUSTED_PROXIES} only. A second loopback address, 127.0.0.2, plays another client.
 * Each test has its own node.
 */
@Timeout(60)
class AddressLimitsTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private TestServer server;

    private TestServer start(Map<String, String> settings, String... users) {
        Map<String, String> env = new HashMap<>(settings);
        env.putIfAbsent("CHAT_HTTP_TIMEOUT", "30s"); // idle sockets stay open for the whole test unless refused
        env.putIfAbsent("CHAT_MAX_CONNECTIONS_PER_ADDRESS", "100000");
        env.putIfAbsent("CHAT_MAX_HANDSHAKES_PER_ADDRESS_PER_SECOND", "100000");
        server = TestServer.start(env, SeededUsers.create(users).dataDir());
        return server;
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void idleSocketsOverTheCapFromOneAddressGet429AndAreClosedWhileAnotherAddressStillConnects() throws Exception {
        start(Map.of("CHAT_MAX_CONNECTIONS_PER_ADDRESS", "3"));
        List<Socket> idle = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                idle.add(open("127.0.0.1"));
            }
            // connections are counted as the server accepts them, in whatever order: one of the four
            // is the one over the cap, and only one
            String refused = awaitOneRefusal(idle);
            assertTrue(refused.startsWith("HTTP/1.1 429 "), refused);
            assertTrue(refused.contains("Retry-After: 1\r\n"), refused);
            assertTrue(refused.endsWith("{\"error\":\"too many connections from this address\"}"), refused);

            try (Socket other = open("127.0.0.2")) {
                assertTrue(get(other, "/health/live").startsWith("HTTP/1.1 200 "), "another address is not affected");
            }
            for (Socket s : idle) {
                s.getOutputStream().write("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            for (Socket s : idle) {
                assertTrue(readResponse(s).startsWith("HTTP/1.1 200 "), "the connections within the cap are served");
            }

            idle.remove(0).close();
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (true) { // the close reaches the count asynchronously
                try (Socket again = open("127.0.0.1")) {
                    String answer = get(again, "/health/live");
                    if (answer.startsWith("HTTP/1.1 200 ")) {
                        break;
                    }
                    assertTrue(answer.startsWith("HTTP/1.1 429 "), answer);
                }
                if (System.nanoTime() > deadline) {
                    fail("a closed connection did not give its place back within " + WAIT);
                }
            }
        } finally {
            for (Socket s : idle) {
                s.close();
            }
        }
        assertTrue(metric("chat_limit_hits_total{limit=\"too_many_address_connections\"}") >= 1);
    }

    @Test
    void aWebSocketHandshakeOverTheCapIsAnswered429BeforeTheUpgrade() throws Exception {
        start(Map.of("CHAT_MAX_CONNECTIONS_PER_ADDRESS", "2"), "cap-ann");
        String token = SeededUsers.token("cap-ann");
        try (WsClient first = server.client(token); WsClient second = server.client(token)) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> WsClient.connect(server.ws(token), Map.of("Origin", server.origin())));
            WebSocketHandshakeException refused = assertInstanceOf(WebSocketHandshakeException.class, e.getCause());
            assertEquals(429, refused.getResponse().statusCode());
            first.assertNothingPendingOutside(); // those within the cap are untouched
            second.assertNothingPendingOutside();
        }
    }

    @Test
    void behindATrustedProxyWebSocketsAreCappedPerForwardedClientWith4006() throws Exception {
        start(Map.of("CHAT_MAX_CONNECTIONS_PER_ADDRESS", "2", "CHAT_TRUSTED_PROXIES", "127.0.0.1"), "cap-bob");
        String token = SeededUsers.token("cap-bob");
        Map<String, String> client = Map.of("Origin", server.origin(), "X-Forwarded-For", "203.0.113.7");
        try (WsClient a = connected(token, client); WsClient b = connected(token, client);
             WsClient over = WsClient.connect(server.ws(token), client)) {
            assertEquals(4006, over.awaitClose());
            assertEquals("too_many_address_connections", over.closeReason());
            // another client behind the same proxy, and the proxy's own TCP connections, are not capped
            try (WsClient other = connected(token, Map.of("Origin", server.origin(), "X-Forwarded-For", "203.0.113.8"))) {
                other.assertNothingPendingOutside();
            }
            a.assertNothingPendingOutside();
        }
    }

    @Test
    void handshakesOverTheRatePerAddressAreClosed4007AndTheNextSecondGetsThrough() throws Exception {
        start(Map.of("CHAT_MAX_HANDSHAKES_PER_ADDRESS_PER_SECOND", "3"), "rate-cat");
        String token = SeededUsers.token("rate-cat");
        List<RawWsClient> clients = new ArrayList<>();
        try {
            long started = System.nanoTime();
            for (int i = 0; i < 8; i++) {
                clients.add(RawWsClient.connect(server.ws(token), Map.of(), RawWsClient.Options.defaults()));
            }
            boolean withinASecond = System.nanoTime() - started < 1_000_000_000L;
            int welcomed = 0;
            int limited = 0;
            for (RawWsClient c : clients) {
                RawWsClient.Frame first = c.readFrame(WsClient.WAIT);
                if (first.opcode() == RawWsClient.CLOSE) {
                    assertEquals(4007, first.closeCode());
                    assertEquals("handshake_rate", first.closeReason());
                    limited++;
                } else {
                    assertTrue(first.text().contains("\"welcome\""), first.text());
                    welcomed++;
                }
            }
            assertTrue(limited >= 1, "some of 8 handshakes were over 3 a second");
            if (withinASecond) {
                assertEquals(3, welcomed, "8 handshakes within one second");
            }
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (true) { // a fixed one-second window: a later handshake gets through
                try (RawWsClient later = RawWsClient.connect(server.ws(token), Map.of(), RawWsClient.Options.defaults())) {
                    if (later.readFrame(WsClient.WAIT).opcode() != RawWsClient.CLOSE) {
                        break;
                    }
                }
                if (System.nanoTime() > deadline) {
                    fail("no handshake got through within " + WAIT);
                }
            }
        } finally {
            clients.forEach(RawWsClient::close);
        }
        assertTrue(metric("chat_handshakes_rejected_total{code=\"4007\"}") >= 1);
    }

    @Test
    void aForwardedForFromAPeerThatIsNotATrustedProxyIsIgnored() throws Exception {
        start(Map.of("CHAT_MAX_HANDSHAKES_PER_ADDRESS_PER_SECOND", "2"), "spoof-dan");
        String token = SeededUsers.token("spoof-dan");
        List<RawWsClient> clients = new ArrayList<>();
        try {
            long started = System.nanoTime();
            for (int i = 0; i < 8; i++) { // each claims to be another client: all are 127.0.0.1
                clients.add(RawWsClient.connect(server.ws(token), Map.of("X-Forwarded-For", "198.51.100." + i),
                        RawWsClient.Options.defaults()));
            }
            boolean withinASecond = System.nanoTime() - started < 1_000_000_000L;
            int limited = 0;
            for (RawWsClient c : clients) {
                RawWsClient.Frame first = c.readFrame(WsClient.WAIT);
                limited += first.opcode() == RawWsClient.CLOSE && first.closeCode() == 4007 ? 1 : 0;
            }
            // 8 handshakes at 2 a second all pass only if they take over 3 s; loopback takes milliseconds
            assertTrue(limited >= 1, "counted under the peer, whatever it forwards");
            if (withinASecond) {
                assertEquals(6, limited);
            }
        } finally {
            clients.forEach(RawWsClient::close);
        }
    }

    @Test
    void failedLoginsCountTheForwardedClientOnlyFromATrustedProxy() throws Exception {
        start(Map.of("CHAT_LOGIN_MAX_FAILURES_PER_ADDRESS", "3", "CHAT_LOGIN_MAX_FAILURES_PER_USER", "1000",
                "CHAT_TRUSTED_PROXIES", "127.0.0.1"), "lt-eve");
        for (int i = 0; i < 3; i++) {
            assertEquals(401, login("lt-eve", "wrong-password", "127.0.0.1", "203.0.113.9"));
        }
        assertEquals(429, login("lt-eve", "wrong-password", "127.0.0.1", "203.0.113.9"),
                "the forwarded client's failures count");
        assertEquals(200, login("lt-eve", "password-lt-eve", "127.0.0.1", "203.0.113.10"),
                "another client behind the same proxy is not locked out");
        assertEquals(200, login("lt-eve", "password-lt-eve", "127.0.0.1", "spoofed, 203.0.113.11"),
                "the rightmost hop the proxy wrote counts, not what the client put to its left");
        assertEquals(429, login("lt-eve", "password-lt-eve", "127.0.0.1", "203.0.113.10, 203.0.113.9"));
    }

    @Test
    void failedLoginsFromAPeerThatIsNotATrustedProxyCountThePeerWhateverItForwards() throws Exception {
        start(Map.of("CHAT_LOGIN_MAX_FAILURES_PER_ADDRESS", "3", "CHAT_LOGIN_MAX_FAILURES_PER_USER", "1000",
                "CHAT_TRUSTED_PROXIES", "127.0.0.2"), "lt-fay");
        for (int i = 0; i < 3; i++) {
            assertEquals(401, login("lt-fay", "wrong-password", "127.0.0.1", "203.0.113." + i));
        }
        assertEquals(429, login("lt-fay", "password-lt-fay", "127.0.0.1", "203.0.113.99"));
    }

    /** The status of a login over a socket bound to {@code from}, with this {@code X-Forwarded-For}. */
    private int login(String user, String password, String from, String forwardedFor) throws Exception {
        try (Socket s = open(from)) {
            String body = TestServer.credentials(user, password);
            s.getOutputStream().write(("POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "X-Forwarded-For: " + forwardedFor + "\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length
                    + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
            return Integer.parseInt(readResponse(s).substring(9, 12));
        }
    }

    private WsClient connected(String token, Map<String, String> headers) throws Exception {
        WsClient c = WsClient.connect(server.ws(token), headers);
        c.welcome();
        return c;
    }

    /**
     * Reads the sockets in turn until one of them is answered and closed (within {@link #WAIT});
     * removes it from the list and returns its answer.
     */
    private static String awaitOneRefusal(List<Socket> sockets) throws IOException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            for (Socket s : sockets) {
                String answer = readUntilClosedOrQuiet(s, Duration.ofMillis(50));
                if (answer != null) {
                    sockets.remove(s);
                    s.close();
                    return answer;
                }
            }
        }
        fail("none of " + sockets.size() + " connections was refused within " + WAIT);
        return null;
    }

    private Socket open(String from) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
        s.connect(new InetSocketAddress("127.0.0.1", server.server().port()), 2000);
        return s;
    }

    private static String get(Socket s, String path) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return readResponse(s);
    }

    /** What the server sent before closing, or null when it sent nothing and kept the connection for {@code quiet}. */
    private static String readUntilClosedOrQuiet(Socket s, Duration quiet) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        InputStream in = s.getInputStream();
        byte[] buf = new byte[4096];
        s.setSoTimeout((int) quiet.toMillis());
        while (true) {
            try {
                int n = in.read(buf);
                if (n < 0) {
                    return got.toString(StandardCharsets.UTF_8);
                }
                got.write(buf, 0, n);
                s.setSoTimeout((int) WAIT.toMillis()); // answering: the close follows at once
            } catch (SocketTimeoutException e) {
                if (got.size() == 0) {
                    return null;
                }
                fail("answered but not closed: " + got.toString(StandardCharsets.UTF_8));
            } catch (SocketException reset) {
                return got.toString(StandardCharsets.UTF_8);
            }
        }
    }

    private static String readResponse(Socket s) throws IOException {
        return dev.chat.testing.RawHttp.readResponse(s, WAIT);
    }

    private double metric(String series) throws Exception {
        String body = HTTP.send(HttpRequest.newBuilder(server.base().resolve("metrics")).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return body.lines().filter(l -> l.startsWith(series + " ")).mapToDouble(l -> Double.parseDouble(l.substring(series.length() + 1)))
                .findFirst().orElseThrow(() -> new AssertionError(series + " not exported"));
    }
}
