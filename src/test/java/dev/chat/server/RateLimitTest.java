package dev.chat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.connection.RateLimiter;
import dev.chat.testing.RawWsClient;
import dev.chat.testing.SeededUsers;
import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The per-connection token bucket (5/s, burst 5): frames over it are dropped with rate_limited and
 * their id; a client that keeps going past FLOOD_STRIKES refusals is closed with 4003. The flooder
 * is a raw client so that each batch reaches the server in one write, back to back: the bucket
 * refills one token per 200 ms, far longer than a batch takes.
 */
@Timeout(30)
class RateLimitTest {
    private static final Jsonb JSONB = JsonbBuilder.create();
    private static TestServer server;

    @BeforeAll
    static void start() {
        // a slow refill (1/s) keeps the count exact even on a loaded machine: ten frames take far less than a second
        server = TestServer.start(Map.of("CHAT_RATE_PER_SEC", "1", "CHAT_RATE_BURST", "5"),
                SeededUsers.create("rl-flooder", "rl-bystander", "rl-late").dataDir());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void overTheRateFramesAreDroppedAndAFlooderIsClosed() throws Exception {
        try (WsClient bystander = server.client(SeededUsers.token("rl-bystander"));
             RawWsClient flooder = RawWsClient.connect(server.ws(SeededUsers.token("rl-flooder")),
                     Map.of("Origin", server.origin()), RawWsClient.Options.defaults())) {
            bystander.join("rl");
            flooder.expect("welcome");

            // ten frames at once: the burst of five lets the join and four sends through, drops five
            List<String> batch = new ArrayList<>();
            batch.add(JSONB.toJson(Map.of("type", "join", "room", "rl", "id", "s0")));
            for (int i = 1; i < 10; i++) {
                batch.add(JSONB.toJson(Map.of("type", "send", "room", "rl", "text", "m" + i, "id", "s" + i)));
            }
            flooder.sendTexts(batch);
            assertEquals("s0", flooder.expect("joined").get("id"));
            // replies are matched by id: a refusal is immediate, an ack waits for the commit
            Map<String, Map<String, Object>> replies = new java.util.HashMap<>();
            while (replies.size() < 9) {
                Map<String, Object> reply = flooder.nextJson();
                replies.put((String) reply.get("id"), reply);
            }
            for (int i = 1; i <= 4; i++) {
                Map<String, Object> ack = replies.get("s" + i);
                assertEquals("ack", ack.get("type"), ack::toString);
                assertEquals(i, ((Number) ack.get("seq")).intValue());
            }
            for (int i = 5; i <= 9; i++) {
                Map<String, Object> error = replies.get("s" + i);
                assertEquals("rate_limited", error.get("code"), error::toString);
            }
            // the bystander sees exactly the accepted messages
            assertEquals(Map.of("type", "presence", "room", "rl", "user", "rl-flooder", "state", "joined"), bystander.next());
            for (int i = 1; i <= 4; i++) {
                Map<String, Object> m = bystander.expect("message");
                assertEquals("s" + i, m.get("id"));
                assertEquals("m" + i, m.get("text"));
                assertEquals(i, ((Number) m.get("seq")).intValue());
            }
            bystander.assertNothingPending("rl");

            // keep going: five strikes so far; the refusal after FLOOD_STRIKES in all closes it. Joins of
            // a room it is in change nothing for others, whatever the bucket let through meanwhile.
            List<String> flood = new ArrayList<>();
            for (int i = 0; i < 2 * RateLimiter.FLOOD_STRIKES; i++) {
                flood.add(JSONB.toJson(Map.of("type", "join", "room", "rl", "id", "f" + i)));
            }
            flooder.sendTexts(flood);
            RawWsClient.Closed closed = flooder.awaitClose();
            assertEquals(4003, closed.code(), closed::toString);
            assertEquals("flooding", closed.reason());
            int refused = 0;
            for (Map<String, Object> frame : flooder.drainJson()) {
                if ("error".equals(frame.get("type"))) {
                    assertEquals("rate_limited", frame.get("code"), frame::toString);
                    refused++;
                } else {
                    assertEquals("joined", frame.get("type"), frame::toString);
                }
            }
            assertTrue(refused <= RateLimiter.FLOOD_STRIKES - 5, "at most 15 more rate_limited answers: " + refused);

            // others are unaffected
            assertEquals(Map.of("type", "presence", "room", "rl", "user", "rl-flooder", "state", "left"), bystander.next());
            bystander.assertNothingPending("rl");
            try (WsClient late = server.client(SeededUsers.token("rl-late"))) {
                late.join("rl");
                assertEquals("rl-late", bystander.expect("presence").get("user"));
                assertEquals(5, bystander.say("rl", "after the flood"));
                assertEquals("after the flood", late.expect("message").get("text"));
            }
            assertFalse(bystander.isClosed());
        }
    }
}
