package dev.chat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.connection.Connection;
import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the node logs about connections, read in-process from the {@code dev.chat} logger at
 * {@link Level#ALL}: open and close with user, connection id, trace id and close code; and never a
 * token, a token's signature or a password, whatever the level.
 */
@Timeout(60)
class LoggingTest {
    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String TRACEPARENT = "00-" + TRACE_ID + "-00f067aa0ba902b7-01";
    /** Held strongly: java.util.logging keeps loggers only weakly, and would forget the level. */
    private static final Logger CHAT = Logger.getLogger("dev.chat");
    private static final Capture CAPTURE = new Capture();
    private static Level previousLevel;
    private static TestServer server;

    /** Keeps every record, each rendered as a log file would show it (message, then any stack trace). */
    static final class Capture extends Handler {
        private final List<LogRecord> records = new ArrayList<>();
        private final SimpleFormatter formatter = new SimpleFormatter();

        Capture() {
            setLevel(Level.ALL);
        }

        @Override
        public synchronized void publish(LogRecord record) {
            records.add(record);
        }

        synchronized List<String> lines() {
            return records.stream().map(formatter::format).collect(Collectors.toList());
        }

        synchronized List<LogRecord> records() {
            return List.copyOf(records);
        }

        synchronized void clear() {
            records.clear();
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }

    @BeforeAll
    static void start() {
        previousLevel = CHAT.getLevel();
        CHAT.setLevel(Level.ALL);
        CHAT.addHandler(CAPTURE);
        server = TestServer.start();
    }

    @AfterAll
    static void stop() {
        try {
            server.close();
        } finally {
            CHAT.removeHandler(CAPTURE);
            CHAT.setLevel(previousLevel);
        }
    }

    @BeforeEach
    void clear() {
        CAPTURE.clear();
    }

    /** The one record whose rendered message contains every part; waits for it (a close is logged a moment later). */
    private static LogRecord awaitRecord(String... parts) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            for (LogRecord r : CAPTURE.records()) {
                String message = new SimpleFormatter().formatMessage(r);
                if (List.of(parts).stream().allMatch(message::contains)) {
                    return r;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no log line with " + List.of(parts) + " in:\n" + String.join("", CAPTURE.lines()));
    }

    @Test
    void openAndCloseAreLoggedAtInfoWithUserConnectionIdTraceIdAndCloseCode() throws Exception {
        String token = server.token("log-alice");
        String connectionId;
        try (WsClient alice = WsClient.connect(server.ws(token),
                Map.of("Origin", server.origin(), "traceparent", TRACEPARENT))) {
            alice.welcome();
            // the welcome leaves while the connection is being admitted: it may be listed a moment later
            Connection c = null;
            for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); c == null && System.nanoTime() < deadline; ) {
                c = server.server().app().connections().all().stream()
                        .filter(x -> x.traceId().equals(TRACE_ID)).findFirst().orElse(null);
                if (c == null) {
                    Thread.sleep(10);
                }
            }
            assertNotNull(c, "the connection took the traceparent's trace id");
            assertEquals("log-alice", c.user());
            connectionId = c.id();
            LogRecord open = awaitRecord("open", connectionId, "log-alice", TRACE_ID);
            assertEquals(Level.INFO, open.getLevel());
            assertEquals("open connection " + connectionId + " (user log-alice, trace " + TRACE_ID + ")",
                    new SimpleFormatter().formatMessage(open));
        } // closes with 1000
        LogRecord close = awaitRecord("close", connectionId, "log-alice", TRACE_ID, "code 1000");
        assertEquals(Level.INFO, close.getLevel());
        assertEquals("close connection " + connectionId + " (user log-alice, trace " + TRACE_ID + ") code 1000",
                new SimpleFormatter().formatMessage(close));
    }

    @Test
    void aRejectedHandshakeIsLoggedWithItsTraceIdAndCloseCode() throws Exception {
        try (WsClient stranger = WsClient.connect(server.ws("not-a-token"),
                Map.of("Origin", server.origin(), "traceparent", TRACEPARENT))) {
            WsClient.assertCode(4500, stranger);
        }
        LogRecord rejected = awaitRecord("handshake rejected", "trace " + TRACE_ID, "close code 4500");
        assertEquals(Level.INFO, rejected.getLevel());
    }

    /** An unauthenticated client once wrote whole forged lines, 5.7 KB each, through the token's {@code alg}. */
    @Test
    void aTokensAlgorithmTextIsQuotedEscapedAndCutInTheRejectionLine() throws Exception {
        String forged = "XS256\nDec 02, 2026 1:00:00 AM dev.chat.connection.Connections admit\nINFO: open connection forged"
                + " (user admin)" + "y".repeat(3000);
        java.util.Base64.Encoder b64 = java.util.Base64.getUrlEncoder().withoutPadding();
        String header = b64.encodeToString(("{\"alg\":" + jsonString(forged) + "}").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        String token = header + "." + b64.encodeToString("{\"sub\":\"x\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8)) + ".c2ln";
        try (WsClient stranger = WsClient.connect(server.ws(token), Map.of("Origin", server.origin(), "traceparent", TRACEPARENT))) {
            WsClient.assertCode(4500, stranger);
        }
        LogRecord rejected = awaitRecord("handshake rejected", "algorithm not accepted");
        String message = new SimpleFormatter().formatMessage(rejected);
        assertFalse(message.contains("\n"), "one line: " + message);
        assertTrue(message.contains("\"XS256\\nDec 02, 2026"), "quoted and escaped: " + message);
        assertTrue(message.length() < 400, "cut: " + message.length() + " characters");
    }

    private static String jsonString(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }

    @Test
    void aWholeSessionLogsNoTokenNoSignatureAndNoPasswordAtAnyLevel() throws Exception {
        String password = "password-log-bob"; // what TestServer registers and logs in with
        String wrong = "wrong-password-for-log-bob";
        String bobToken = server.token("log-bob");
        String carolToken = server.token("log-carol");
        try (WsClient bob = server.client(bobToken); // the token in the query, as browsers send it
             WsClient carol = WsClient.connect(server.ws(null),
                     Map.of("Origin", server.origin(), "Authorization", "Bearer " + carolToken))) {
            carol.welcome();
            bob.join("secrets");
            carol.join("secrets");
            bob.expect("presence");
            bob.say("secrets", "hello");
            assertEquals("hello", carol.expect("message").get("text"));
        }
        assertEquals(401, server.post("api/login", TestServer.credentials("log-bob", wrong)).statusCode());
        try (WsClient forged = WsClient.connect(server.ws(bobToken.substring(0, bobToken.lastIndexOf('.') + 1) + "AAAA"),
                Map.of("Origin", server.origin()))) {
            WsClient.assertCode(4500, forged);
        }
        awaitRecord("close", "log-carol");
        awaitRecord("handshake rejected", "bad signature");

        List<String> lines = CAPTURE.lines();
        assertTrue(lines.size() >= 4, "the session was logged: " + lines);
        String log = String.join("", lines);
        for (String token : List.of(bobToken, carolToken)) {
            assertFalse(log.contains(token), "a token was logged:\n" + log);
            assertFalse(log.contains(token.substring(token.lastIndexOf('.') + 1)), "a token signature was logged:\n" + log);
        }
        assertFalse(log.contains(password), "a password was logged:\n" + log);
        assertFalse(log.contains(wrong), "a wrong password was logged:\n" + log);
        assertFalse(log.contains("password-log-carol"), "a password was logged:\n" + log);
    }
}
