package dev.chat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.RawWsClient;
import dev.chat.testing.SeededUsers;
import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Graceful shutdown (EmbeddedServer.close): no new connections, everything accepted is delivered,
 * then every connection gets 1001, all within CHAT_SHUTDOWN_GRACE plus the listener's own stop.
 */
@Timeout(60)
class ShutdownTest {
    private static final Map<String, String> SETTINGS = Map.of(
            "CHAT_SHUTDOWN_GRACE", "2s", "CHAT_RATE_PER_SEC", "10000", "CHAT_RATE_BURST", "10000");
    private static final long CLOSE_BOUND_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static SeededUsers users;

    @BeforeAll
    static void seed() {
        users = SeededUsers.create("sd-sender", "sd-receiver", "sd-stuck", "sd-late");
    }

    @Test
    void everyAcceptedMessageIsDeliveredBeforeTheGoingAwayClose() throws Exception {
        TestServer server = TestServer.start(SETTINGS, users.dataDir());
        try (WsClient receiver = server.client(SeededUsers.token("sd-receiver"));
             WsClient sender = server.client(SeededUsers.token("sd-sender"))) {
            receiver.join("last-words");
            sender.join("last-words");
            for (int i = 1; i <= 200; i++) {
                assertEquals(i, sender.say("last-words", "m" + i));
            }
            long t0 = System.nanoTime();
            server.close();
            long took = System.nanoTime() - t0;
            assertTrue(took < CLOSE_BOUND_NANOS, "close took " + took / 1_000_000 + " ms");
            System.out.println("ShutdownTest: graceful close took " + took / 1_000_000 + " ms");

            WsClient.assertCode(1001, receiver);
            WsClient.assertCode(1001, sender);
            assertEquals("going_away", receiver.closeReason());
            List<Map<String, Object>> got = receiver.drain();
            assertEquals(Map.of("type", "presence", "room", "last-words", "user", "sd-sender", "state", "joined"), got.get(0));
            for (int i = 1; i <= 200; i++) {
                Map<String, Object> m = got.get(i);
                assertEquals("message", m.get("type"), m::toString);
                assertEquals(i, ((Number) m.get("seq")).intValue());
                assertEquals("m" + i, m.get("text"));
            }
            // at most the sender's leave may follow (the shutdown closes members one by one)
            List<Map<String, Object>> rest = got.subList(201, got.size());
            assertTrue(rest.isEmpty() || rest.equals(List.of(Map.of("type", "presence", "room", "last-words",
                    "user", "sd-sender", "state", "left"))), "after the messages: " + rest);
            List<Map<String, Object>> senderGot = sender.drain();
            assertTrue(senderGot.isEmpty() || senderGot.equals(List.of(Map.of("type", "presence", "room", "last-words",
                    "user", "sd-receiver", "state", "left"))), "the sender got only acks: " + senderGot);
        }
    }

    /** Settings under which a client that stops reading can hold a shutdown for the whole grace. */
    private static Map<String, String> stuckSettings() {
        Map<String, String> settings = new java.util.HashMap<>(SETTINGS);
        settings.put("CHAT_OUTBOX_MAX_MESSAGES", "100000");
        settings.put("CHAT_OUTBOX_MAX_BYTES", "64MiB");
        return settings;
    }

    private static RawWsClient stuckClient(TestServer server) throws Exception {
        return RawWsClient.connect(server.ws(SeededUsers.token("sd-stuck")),
                Map.of("Origin", server.origin()), RawWsClient.Options.defaults().withReceiveBufferSize(4096));
    }

    private static final java.util.concurrent.atomic.AtomicInteger JAMS = new java.util.concurrent.atomic.AtomicInteger();

    /** Sends the stuck client (which never reads) more than the network can hold, so a send stays in flight. */
    private static void jamWithSixMegabytes(TestServer server, RawWsClient stuck, WsClient sender) throws Exception {
        // the servers of this class share one data directory, so each jam gets a room with no history
        String room = "stuck-" + JAMS.incrementAndGet();
        stuck.expect("welcome");
        stuck.send(Map.of("type", "join", "room", room, "id", "j"));
        stuck.expect("joined");
        sender.join(room);
        // 6 MB for the stuck one: more than its socket buffers can take (the kernel's send buffer grows to
        // 4 MiB at most), less than its outbox may hold here, so a send stays in flight
        String text = "y".repeat(1000);
        for (int i = 1; i <= 6000; i++) {
            sender.send(Map.of("type", "send", "room", room, "text", text, "id", "s" + i));
            if (i % 20 == 0) {
                Map<String, Object> ack;
                do {
                    ack = sender.next();
                } while (!("s" + i).equals(ack.get("id")));
            }
        }
        assertEquals(2, server.server().app().rooms().localMembers(room), "the stuck one is still a member");
    }

    /** While a graceful stop drains, the node says it is not ready (load balancers stop sending), yet alive. */
    @Test
    void readinessIsDownWhileAShutdownIsInProgress() throws Exception {
        Map<String, String> settings = stuckSettings();
        settings.put("CHAT_SHUTDOWN_GRACE", "4s"); // room for a loaded machine between the 1001 and the checks
        TestServer server = TestServer.start(settings, users.dataDir());
        CompletableFuture<Void> closing = null;
        try (RawWsClient stuck = stuckClient(server); WsClient sender = server.client(SeededUsers.token("sd-sender"))) {
            jamWithSixMegabytes(server, stuck, sender);
            assertEquals(200, server.get("health/ready").statusCode(), "ready before the stop");
            closing = CompletableFuture.runAsync(server::close);
            WsClient.assertCode(1001, sender); // the shutdown has begun

            HttpResponse<String> ready = server.get("health/ready");
            assertEquals(503, ready.statusCode(), ready::body);
            assertEquals("DOWN", TestServer.json(ready.body()).get("status"));
            assertEquals(Map.of("accepting", "DOWN", "database", "UP"), TestServer.checks(ready.body()));
            HttpResponse<String> all = server.get("health");
            assertEquals(503, all.statusCode(), all::body);
            assertEquals(Map.of("process", "UP", "started", "UP", "accepting", "DOWN", "database", "UP"), TestServer.checks(all.body()));
            HttpResponse<String> live = server.get("health/live");
            assertEquals(200, live.statusCode(), "still alive while draining");
            assertEquals(200, server.get("health/started").statusCode(), "still started while draining");
            assertFalse(closing.isDone(), "the shutdown was still in progress (held by the stuck client)");
            closing.get(10, TimeUnit.SECONDS);
        } finally {
            if (closing == null) {
                server.close();
            }
        }
    }

    /**
     * A client that does not read keeps the shutdown waiting for its outbox; meanwhile the node
     * refuses new connections with 1001, and after the grace it closes the stuck one anyway.
     */
    @Test
    void aStuckClientCannotHoldTheShutdownPastTheGraceAndNewcomersAreRefused() throws Exception {
        TestServer server = TestServer.start(stuckSettings(), users.dataDir());
        CompletableFuture<Long> closing = null;
        try (RawWsClient stuck = stuckClient(server); WsClient sender = server.client(SeededUsers.token("sd-sender"))) {
            jamWithSixMegabytes(server, stuck, sender);

            long t0 = System.nanoTime();
            closing = CompletableFuture.supplyAsync(() -> {
                server.close();
                return System.nanoTime() - t0;
            });
            // the sender's 1001 proves the shutdown has begun (it stops admitting first)
            WsClient.assertCode(1001, sender);
            assertTrue(!closing.isDone(), "the shutdown still waits for the stuck outbox");
            // refused: today the upgrade is dropped without an answer (EmbeddedServer.close uninstalls the app
            // before it stops, so the handshake fails); Connections.admit's own refusal would be a 1001 close
            WsClient late = null;
            try {
                late = WsClient.connect(server.ws(SeededUsers.token("sd-late")), Map.of("Origin", server.origin()));
            } catch (java.util.concurrent.ExecutionException refused) {
                System.out.println("ShutdownTest: a newcomer during the shutdown: " + refused.getCause());
            }
            if (late != null) {
                try (WsClient closing1001 = late) {
                    WsClient.assertCode(1001, closing1001);
                    assertTrue(closing1001.drain().isEmpty(), "refused before any frame");
                    System.out.println("ShutdownTest: a newcomer during the shutdown: closed 1001");
                }
            }
            long took = closing.get(10, TimeUnit.SECONDS);
            System.out.println("ShutdownTest: close with a stuck client took " + took / 1_000_000 + " ms");
            assertTrue(took >= TimeUnit.SECONDS.toNanos(2), "it waited for the grace: " + took / 1_000_000 + " ms");
            assertTrue(took < CLOSE_BOUND_NANOS, "close took " + took / 1_000_000 + " ms");
            RawWsClient.Closed closed = stuck.awaitClose(Duration.ofSeconds(10));
            System.out.println("ShutdownTest: the stuck client saw " + closed);
        } finally {
            if (closing == null) {
                server.close();
            }
        }
    }
}
