package dev.chat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.RawWsClient;
import dev.chat.testing.SeededUsers;
import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The heartbeat pings every connection and reaps the ones that stay silent: a client that never
 * answers pings is closed with 4002 and leaves its rooms; clients that answer pings stay however
 * long they say nothing.
 */
@Timeout(30)
class IdleReaperTest {
    // generous for a loaded CI machine: a pong late by more than (IDLE - PING) would reap a live client
    private static final Duration PING = Duration.ofMillis(150);
    private static final Duration IDLE = Duration.ofMillis(1200);
    private static TestServer server;
    private static String quiet;
    private static String mute;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(Map.of(
                "CHAT_PING_INTERVAL", PING.toMillis() + "ms",
                "CHAT_IDLE_TIMEOUT", IDLE.toMillis() + "ms",
                // the busy reader below must be neither rate limited nor a slow consumer: only its line is busy
                "CHAT_RATE_PER_SEC", "100000", "CHAT_RATE_BURST", "100000",
                "CHAT_OUTBOX_MAX_MESSAGES", "100000", "CHAT_OUTBOX_MAX_BYTES", "64MiB"),
                SeededUsers.create("idle-quiet", "idle-mute", "idle-reader", "idle-publisher").dataDir());
        quiet = SeededUsers.token("idle-quiet");
        mute = SeededUsers.token("idle-mute");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static RawWsClient raw(String token, RawWsClient.Options options) throws Exception {
        RawWsClient client = RawWsClient.connect(server.ws(token), Map.of("Origin", server.origin()), options);
        client.expect("welcome");
        return client;
    }

    @Test
    void aClientThatNeverAnswersPingsIsReapedWhileAnIdleOneThatDoesStays() throws Exception {
        try (WsClient idle = server.client(quiet)) {
            idle.join("reaper");
            long idleSince = System.nanoTime(); // the JDK client sends no frame after this, only pongs

            try (RawWsClient silent = raw(mute, RawWsClient.Options.defaults().withoutPongs())) {
                long lastFrame = System.nanoTime();
                silent.send(Map.of("type", "join", "room", "reaper", "id", "j1"));
                assertEquals("j1", silent.expect("joined").get("id"));
                assertEquals(Map.of("type", "presence", "room", "reaper", "user", "idle-mute", "state", "joined"), idle.next());

                RawWsClient.Closed closed = silent.awaitClose(Duration.ofSeconds(5));
                long silentFor = System.nanoTime() - lastFrame;
                assertEquals(4002, closed.code(), closed::toString);
                assertEquals("idle_timeout", closed.reason());
                assertTrue(silent.pingsReceived() >= 1, "the server pinged before reaping: " + silent.pingsReceived());
                assertTrue(silentFor >= IDLE.toNanos(), "reaped only after the idle timeout, not after " + silentFor / 1_000_000 + "ms");
                assertTrue(silent.drainJson().isEmpty(), "nothing but pings before the close");
            }
            assertEquals(Map.of("type", "presence", "room", "reaper", "user", "idle-mute", "state", "left"), idle.next());
            assertEquals(1, server.server().app().rooms().localMembers("reaper"));

            // the JDK client stays silent for three idle timeouts in all (it answers pings on its own)
            long rest = 3 * IDLE.toNanos() - (System.nanoTime() - idleSince);
            if (rest > 0) {
                assertNull(idle.poll(Duration.ofNanos(rest)), "nothing reaches the idle client, no close either");
            }
            assertFalse(idle.isClosed());
            idle.assertNothingPending("reaper");
            assertEquals(1, idle.say("reaper", "still here"));
            assertEquals(1, server.server().app().connections().size());
        }
    }

    /**
     * A client that only reads answers nothing but pongs; its line was never idle while the room was
     * busy, so it was never pinged and was closed with 4002 while reading every message.
     */
    @Test
    void aReaderOfABusyRoomIsPingedAndStays() throws Exception {
        int messages = 2400;
        String text = "x".repeat(4000);
        try (RawWsClient reader = raw(SeededUsers.token("idle-reader"), RawWsClient.Options.defaults().withReceiveBufferSize(4096));
             WsClient publisher = server.client(SeededUsers.token("idle-publisher"))) {
            reader.send(Map.of("type", "join", "room", "busy", "id", "j"));
            reader.expect("joined");
            publisher.join("busy");
            reader.expect("presence");
            int pingsBefore = reader.pingsReceived();
            Thread sending = new Thread(() -> {
                try {
                    for (int i = 0; i < messages; i++) {
                        publisher.send(Map.of("type", "send", "room", "busy", "text", text, "id", "b" + i));
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            sending.start();
            long start = System.nanoTime();
            int got = 0;
            while (got < messages) {
                RawWsClient.Frame f = reader.readFrame(Duration.ofSeconds(10));
                assertNotNull(f, "the stream ended after " + got + " messages");
                assertNotEquals(8, f.opcode(), () -> "closed while reading: " + f.closeCode() + " " + f.closeReason());
                got += f.text().split("\"type\":\"message\"", -1).length - 1;
                Thread.sleep(20); // a slow reader (at most 64 KiB per 20 ms): the server's send to it is nearly always in flight
            }
            sending.join();
            long busyFor = System.nanoTime() - start;
            assertTrue(busyFor > 2 * IDLE.toNanos(), "busy for " + busyFor / 1_000_000 + " ms: longer than the idle timeout");
            assertTrue(reader.pingsReceived() > pingsBefore, "pinged while busy");
            assertNull(reader.closedOrNull(), "still open");
            assertEquals(messages, got);
        }
    }

    @Test
    void aRawClientThatAnswersPingsStays() throws Exception {
        try (RawWsClient polite = raw(mute, RawWsClient.Options.defaults())) {
            polite.send(Map.of("type", "join", "room", "polite", "id", "j1"));
            assertEquals("j1", polite.expect("joined").get("id"));
            // reading for three idle timeouts: only pings come (answered), no close
            assertThrows(SocketTimeoutException.class, () -> {
                RawWsClient.Frame unexpected = polite.readFrame(IDLE.multipliedBy(3));
                throw new AssertionError("unexpected frame: " + (unexpected == null ? "end of stream" : unexpected.text()));
            });
            assertTrue(polite.pingsReceived() >= 3, "pinged every " + PING + ": " + polite.pingsReceived());
            polite.send(Map.of("type", "join", "room", "polite", "id", "j2"));
            assertEquals("j2", polite.expect("joined").get("id"));
        }
    }
}
