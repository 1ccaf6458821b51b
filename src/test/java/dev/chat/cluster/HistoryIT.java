package dev.chat.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.Databases;
import dev.chat.testing.JarNode;
import dev.chat.testing.RedisServer;
import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/**
 * History in Redis across nodes: a client comes back on another node and gets exactly what it
 * missed; a resent id on another node is the same message; a node killed mid-traffic loses no
 * acked message; the history outlives every chat node.
 */
@Timeout(180)
class HistoryIT {
    private static RedisServer redis;
    private final List<JarNode> nodes = new ArrayList<>();
    private String prefix;
    /** The cluster's shared database: a new one per test. */
    private Map<String, String> database;

    @BeforeAll
    static void startRedis() throws Exception {
        redis = RedisServer.start(true);
    }

    @AfterAll
    static void stopRedis() throws Exception {
        redis.close();
    }

    @AfterEach
    void stopNodes() throws Exception {
        for (JarNode node : nodes) {
            node.close();
        }
    }

    private JarNode node(TestInfo test) throws Exception {
        if (prefix == null) {
            prefix = "hist-" + test.getTestMethod().orElseThrow().getName() + ":";
        }
        if (database == null) {
            database = Databases.postgresSettings();
        }
        Map<String, String> env = new java.util.HashMap<>(database);
        env.putAll(Map.of("CHAT_REDIS_URL", redis.url(), "CHAT_REDIS_PREFIX", prefix,
                "CHAT_JWT_SECRET", TestServer.SECRET, "CHAT_NODE_ID", "h" + (nodes.size() + 1),
                "CHAT_RATE_PER_SEC", "10000", "CHAT_RATE_BURST", "10000", "CHAT_HISTORY_ON_JOIN", "0"));
        JarNode node = JarNode.start(env);
        nodes.add(node);
        assertTrue(node.base() != null, node::log);
        return node;
    }

    private static long seq(Map<String, Object> f) {
        return ((Number) f.get("seq")).longValue();
    }

    /** Joins with since and collects the replay up to joined. */
    private static List<Map<String, Object>> rejoin(WsClient c, String room, long since, Map<String, Object> joined) throws Exception {
        c.send(Map.of("type", "join", "room", room, "since", since, "id", "rj"));
        List<Map<String, Object>> replayed = new ArrayList<>();
        Map<String, Object> f;
        while (!"joined".equals((f = c.next()).get("type"))) {
            if ("message".equals(f.get("type"))) {
                replayed.add(f);
            }
        }
        joined.putAll(f);
        return replayed;
    }

    @Test
    void aClientBackOnAnotherNodeGetsExactlyTheMessagesItMissed(TestInfo test) throws Exception {
        JarNode a = node(test);
        JarNode b = node(test);
        WsClient alice = a.client(a.token("alice"));
        String bobToken = a.token("bob");
        alice.join("gap");
        WsClient bob = a.client(bobToken);
        bob.join("gap");
        alice.expect("presence");
        alice.say("gap", "seen");
        long last = seq(bob.expect("message"));
        bob.close();
        for (int i = 0; i < 100; i++) {
            alice.send(Map.of("type", "send", "room", "gap", "text", "missed" + i, "id", "m" + i));
        }
        int acks = 0;
        while (acks < 100) {
            if ("ack".equals(alice.next().get("type"))) {
                acks++;
            }
        }
        try (WsClient back = b.client(bobToken)) {
            Map<String, Object> joined = new HashMap<>();
            List<Map<String, Object>> replayed = rejoin(back, "gap", last, joined);
            assertEquals(100, replayed.size());
            for (int i = 0; i < 100; i++) {
                assertEquals(last + 1 + i, seq(replayed.get(i)));
                assertEquals("missed" + i, replayed.get(i).get("text"));
            }
            assertEquals(Boolean.TRUE, joined.get("recovered"));
            back.assertNothingPending("gap");
        }
        alice.close();
    }

    @Test
    void aResentIdOnAnotherNodeIsTheSameMessage(TestInfo test) throws Exception {
        JarNode a = node(test);
        JarNode b = node(test);
        String token = a.token("carol");
        WsClient onA = a.client(token);
        onA.join("dedupe");
        Map<String, Object> send = Map.of("type", "send", "room", "dedupe", "text", "once", "id", "same-id");
        onA.send(send);
        Map<String, Object> ack = onA.expect("ack");
        onA.close();
        try (WsClient onB = b.client(token)) {
            onB.join("dedupe");
            onB.send(send);
            assertEquals(ack, onB.expect("ack"));
            assertEquals(seq(ack) + 1, onB.say("dedupe", "after"));
        }
    }

    @Test
    void aNodeKilledMidTrafficLosesNoAckedMessage(TestInfo test) throws Exception {
        JarNode a = node(test);
        JarNode b = node(test);
        String senderToken = a.token("sender");
        String bobToken = a.token("bob");
        WsClient sender = a.client(senderToken);
        WsClient bob = a.client(bobToken);
        WsClient carol = b.client(b.token("carol"));
        for (WsClient c : List.of(sender, bob, carol)) {
            c.join("crash");
        }
        Set<String> acked = new LinkedHashSet<>();
        int sent = 0;
        while (acked.size() < 100) { // windows of 10, each acked before the next
            for (int i = 0; i < 10; i++, sent++) {
                sender.send(Map.of("type", "send", "room", "crash", "text", "t" + sent, "id", "t" + sent));
            }
            while (acked.size() < sent) {
                Map<String, Object> f = sender.next();
                if ("ack".equals(f.get("type"))) {
                    acked.add((String) f.get("id"));
                }
            }
        }
        try {
            for (int i = 0; i < 50; i++, sent++) {
                sender.send(Map.of("type", "send", "room", "crash", "text", "t" + sent, "id", "t" + sent));
            }
            a.kill(); // SIGKILL with sends in flight: some of these are acked, some never
        } catch (RuntimeException closedUnderUs) {
            // the node is gone: the rest of the sends could not be written
        }
        for (Map<String, Object> f; (f = sender.poll(java.time.Duration.ofMillis(500))) != null; ) {
            if ("ack".equals(f.get("type"))) {
                acked.add((String) f.get("id"));
            }
        }
        assertTrue(acked.size() >= 100, "enough traffic was acked before the kill: " + acked.size());
        Map<String, Object> f;
        while ((f = bob.poll(java.time.Duration.ofMillis(200))) != null) {
            // bob's connection died with the node; whatever reached him is irrelevant here
        }
        // bob comes back on the surviving node and asks for what he missed
        Set<String> bobSaw = new LinkedHashSet<>();
        try (WsClient back = b.client(bobToken)) {
            Map<String, Object> joined = new HashMap<>();
            for (Map<String, Object> m : rejoin(back, "crash", 0, joined)) {
                assertTrue(bobSaw.add((String) m.get("id")), "no duplicate: " + m);
            }
            assertEquals(Boolean.TRUE, joined.get("recovered"));
        }
        assertTrue(bobSaw.containsAll(acked), "every acked message is in the history");
        // carol stayed on the other node all along: she got every acked one, live
        Set<String> carolSaw = new LinkedHashSet<>();
        while ((f = carol.poll(java.time.Duration.ofMillis(500))) != null) {
            if ("message".equals(f.get("type"))) {
                assertTrue(carolSaw.add((String) f.get("id")), "no duplicate: " + f);
            }
        }
        assertTrue(carolSaw.containsAll(acked), "every acked message reached the other node's members");
        carol.close();
    }

    @Test
    void theHistoryOutlivesEveryChatNode(TestInfo test) throws Exception {
        JarNode a = node(test);
        String token = a.token("dave");
        try (WsClient dave = a.client(token)) {
            dave.join("lasting");
            for (int i = 1; i <= 20; i++) {
                assertEquals(i, dave.say("lasting", "keep" + i));
            }
        }
        a.stop();
        JarNode fresh = node(test);
        try (WsClient dave = fresh.client(token)) {
            Map<String, Object> joined = new HashMap<>();
            List<Map<String, Object>> replayed = rejoin(dave, "lasting", 0, joined);
            assertEquals(20, replayed.size());
            assertEquals("keep20", replayed.get(19).get("text"));
            assertEquals(Boolean.TRUE, joined.get("recovered"));
            assertEquals(21, dave.say("lasting", "and on"), "seq continues");
        }
    }
}
