package dev.chat.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.JarNode;
import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The embedded jar on its default store (SQLite in the data directory), killed with SIGKILL in
 * the middle of traffic and started again on the same directory: every acked message, every
 * user, the private room and its invitation are there, seqs go on, and the epoch is the same, so
 * the page simply carries on.
 */
@Timeout(180)
class EmbeddedDurabilityIT {

    @Test
    void killMinusNineLosesNothingAcked() throws Exception {
        Path data = Files.createTempDirectory("chat-durable-");
        Map<String, String> env = Map.of("CHAT_DATA_DIR", data.toString(), "CHAT_JWT_SECRET", TestServer.SECRET,
                "CHAT_RATE_PER_SEC", "10000", "CHAT_RATE_BURST", "10000");
        Map<String, Long> acked = new LinkedHashMap<>();
        String epoch;
        String aliceToken;
        try (JarNode first = JarNode.start(env)) {
            assertTrue(first.base() != null, first::log);
            aliceToken = first.token("alice");
            first.token("bob");
            first.token("carol");
            try (WsClient alice = WsClient.connect(first.ws(aliceToken), Map.of())) {
                epoch = (String) alice.expect("welcome").get("epoch");
                alice.send(Map.of("type", "create", "room", "secret", "private", true, "id", "cr"));
                alice.expect("created");
                alice.expect("joined");
                alice.send(Map.of("type", "invite", "room", "secret", "user", "bob", "id", "iv"));
                alice.expect("invited");
                alice.join("general");
                // 2000 sends with ids, 100 in flight at a time; the kill comes while the last window is in flight
                int sent = 0;
                while (sent < 2000) {
                    for (int i = 0; i < 100; i++, sent++) {
                        alice.send(Map.of("type", "send", "room", "general", "text", "t" + sent, "id", "t" + sent));
                    }
                    if (sent == 2000) {
                        first.kill();
                    }
                    int want = sent == 2000 ? 0 : sent;
                    while (acked.size() < want) {
                        Map<String, Object> f = alice.next();
                        if ("ack".equals(f.get("type"))) {
                            acked.put((String) f.get("id"), ((Number) f.get("seq")).longValue());
                        }
                    }
                }
                for (Map<String, Object> f; (f = alice.poll(Duration.ofMillis(500))) != null; ) {
                    if ("ack".equals(f.get("type"))) {
                        acked.put((String) f.get("id"), ((Number) f.get("seq")).longValue());
                    }
                }
            }
        }
        assertTrue(acked.size() >= 1900, "the traffic before the kill was acked: " + acked.size());

        try (JarNode second = JarNode.start(env)) {
            assertTrue(second.base() != null, second::log);
            assertEquals(200, second.post("api/login", TestServer.credentials("carol", "password-carol")).statusCode(),
                    "users registered before the kill log in");
            try (WsClient alice = WsClient.connect(second.ws(aliceToken), Map.of())) {
                assertEquals(epoch, alice.expect("welcome").get("epoch"), "the same history: the page keeps its seqs");
                // page the whole room back and compare with what was acked
                Map<String, Long> stored = new LinkedHashMap<>();
                List<Long> seqs = new ArrayList<>();
                alice.join("general");
                Long before = null;
                while (true) {
                    Map<String, Object> req = new LinkedHashMap<>(Map.of("type", "history", "room", "general", "limit", 200, "id", "h"));
                    if (before != null) {
                        req.put("before", before);
                    }
                    alice.send(req);
                    List<?> page = (List<?>) alice.expect("history").get("messages");
                    if (page.isEmpty()) {
                        break;
                    }
                    for (int i = page.size() - 1; i >= 0; i--) {
                        Map<?, ?> m = (Map<?, ?>) page.get(i);
                        long seq = ((Number) m.get("seq")).longValue();
                        seqs.add(0, seq);
                        stored.put((String) m.get("id"), seq);
                    }
                    before = seqs.get(0);
                }
                for (Map.Entry<String, Long> a : acked.entrySet()) {
                    assertEquals(a.getValue(), stored.get(a.getKey()), "acked " + a.getKey() + " is stored with its seq");
                }
                for (int i = 0; i < seqs.size(); i++) {
                    assertEquals(i + 1, seqs.get(i), "gap-free from seq 1");
                }
                long next = alice.say("general", "after the crash");
                assertEquals(seqs.size() + 1, next, "seqs go on");
            }
            try (WsClient carol = second.client(second.login("carol")); WsClient bob = second.client(second.login("bob"))) {
                carol.send(Map.of("type", "join", "room", "secret", "id", "no"));
                assertEquals("forbidden", carol.expect("error").get("code"), "still private");
                bob.send(Map.of("type", "join", "room", "secret", "id", "yes"));
                assertEquals("joined", bob.expect("joined").get("type"), "the invitation survived");
            }
        }
    }
}
