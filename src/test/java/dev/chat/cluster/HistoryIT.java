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
        Map<String, Object> seen;
        while (!"message".equals((seen = bob.next()).get("type"))) {
            // alice's own presence may reach bob after his join (cluster presence is published asynchronously)
            assertEquals("presence", seen.get("type"), seen::toString);
        }
        long last = seq(seen);
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
        // carol stayed on the other node all along: she gets every acked one, without asking; those the
        // killed node committed but never published come from the database within an audit period
        Set<String> carolSaw = new LinkedHashSet<>();
        long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (!carolSaw.containsAll(acked) && System.nanoTime() < until) {
            f = carol.poll(java.time.Duration.ofMillis(500));
            if (f != null && "message".equals(f.get("type"))) {
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

    @Test
    void aPostgresRestartUnderTrafficLosesNoAckedMessageAndDoublesNone(TestInfo test) throws Exception {
        // its own PostgreSQL: this test stops it, and the other tests share theirs
        try (dev.chat.testing.PostgresServer pg = dev.chat.testing.PostgresServer.start()) {
            database = Map.of("CHAT_DB_URL", pg.jdbcUrl(), "CHAT_DB_USER", pg.user());
            JarNode a = node(test);
            JarNode b = node(test);
            WsClient sender = a.client(a.token("pg-sender"));
            WsClient reader = b.client(b.token("pg-reader"));
            sender.join("pgr");
            reader.join("pgr");
            sender.expect("presence");
            Map<String, Long> acked = new java.util.LinkedHashMap<>();
            Set<String> refused = new LinkedHashSet<>();
            Set<String> refusedEver = new LinkedHashSet<>();
            int sent = 0;
            java.util.concurrent.CompletableFuture<Void> outage = null;
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
            // send with ids; a refused one is resent with the same id until it is acked
            while (acked.size() < 300) {
                assertTrue(System.nanoTime() < deadline, "acked " + acked.size() + ", refused " + refused);
                String id = refused.isEmpty() ? "p" + sent++ : refused.iterator().next();
                sender.send(Map.of("type", "send", "room", "pgr", "text", "x-" + id, "id", id));
                Map<String, Object> f;
                while (!"ack".equals((f = sender.next()).get("type")) && !"error".equals(f.get("type"))) {
                    // presence
                }
                if ("ack".equals(f.get("type"))) {
                    refused.remove(id);
                    Long earlier = acked.put(id, seq(f));
                    assertTrue(earlier == null || earlier == seq(f), "a resent id keeps its seq");
                } else {
                    assertEquals("unavailable", f.get("code"), f::toString);
                    refused.add(id);
                    refusedEver.add(id);
                    Thread.sleep(100); // the page retries after 3 s; the test a little sooner
                }
                if (acked.size() == 100 && outage == null) {
                    // down for 1.5 s while the sender goes on sending
                    outage = java.util.concurrent.CompletableFuture.runAsync(() -> {
                        try {
                            pg.stop();
                            Thread.sleep(1500);
                            pg.restart();
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    });
                }
            }
            outage.get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertTrue(!refusedEver.isEmpty(), "some sends met the outage");
            // the reader stayed connected on the other node: every acked message, once, in seq order
            List<Long> seen = new ArrayList<>();
            Set<String> ids = new LinkedHashSet<>();
            long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
            while (ids.size() < acked.size() && System.nanoTime() < until) {
                Map<String, Object> m = reader.poll(java.time.Duration.ofMillis(500));
                if (m != null && "message".equals(m.get("type"))) {
                    assertTrue(ids.add((String) m.get("id")), "no duplicate: " + m);
                    seen.add(seq(m));
                }
            }
            assertEquals(acked.keySet(), ids, "every acked message reached the other node");
            assertEquals(java.util.stream.LongStream.rangeClosed(1, seen.size()).boxed().toList(), seen, "gap-free, in order");
            sender.close();
            reader.close();
        }
    }
}
