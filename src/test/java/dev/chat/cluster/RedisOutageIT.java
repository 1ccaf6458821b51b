package dev.chat.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.Databases;
import dev.chat.testing.JarNode;
import dev.chat.testing.RedisServer;
import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Redis killed and restarted (empty: it kept nothing) under two nodes on PostgreSQL: messages are
 * still committed and acked, and reach the members of their own node at once; login works (the
 * users are in the database); readiness says Redis is down. Once Redis is back, the other node's
 * members get what they missed, in seq order, without reconnecting, within 5 s; seqs go on from
 * the database's; the outage is logged once per node and counted.
 */
@Timeout(180)
class RedisOutageIT {

    @Test
    void nodesKeepCommittingDuringTheOutageAndTheOtherNodeCatchesUpByItself() throws Exception {
        try (RedisServer redis = RedisServer.start(false)) {
            Map<String, String> env = new HashMap<>(Databases.postgresSettings());
            env.putAll(Map.of("CHAT_REDIS_URL", redis.url(), "CHAT_REDIS_PREFIX", "outage:", "CHAT_JWT_SECRET", TestServer.SECRET));
            try (JarNode a = JarNode.start(env); JarNode b = JarNode.start(env)) {
                WsClient alice = a.client(a.token("alice"));
                WsClient amy = a.client(a.token("amy"));
                WsClient bob = b.client(b.token("bob"));
                for (WsClient c : new WsClient[] {alice, amy, bob}) {
                    c.join("outage");
                }
                alice.expect("presence");
                alice.expect("presence");
                amy.expect("presence");
                assertEquals(1, alice.say("outage", "before"));
                assertEquals("before", nextMessage(bob).get("text"));
                assertEquals("before", nextMessage(amy).get("text"));

                redis.kill();
                // the database is the record: an ack still means committed, and this node's members see it
                for (int i = 1; i <= 5; i++) {
                    assertEquals(1 + i, alice.say("outage", "during" + i));
                    assertEquals("during" + i, nextMessage(amy).get("text"));
                }
                // a rejoin with since during the outage is answered from the database, gap and all
                WsClient bea = b.client(b.token("bea"));
                bea.send(Map.of("type", "join", "room", "outage", "since", 1, "id", "rj"));
                List<Object> replayed = new ArrayList<>();
                Map<String, Object> joined;
                while (!"joined".equals((joined = bea.next()).get("type"))) {
                    replayed.add(joined.get("text"));
                }
                assertEquals(List.of("during1", "during2", "during3", "during4", "during5"), replayed);
                assertEquals(Boolean.TRUE, joined.get("recovered"));
                assertEquals(200, a.post("api/login", TestServer.credentials("alice", "password-alice")).statusCode());
                assertEquals(503, a.get("health/ready").statusCode());
                assertEquals(Map.of("accepting", "UP", "database", "UP", "redis", "DOWN"), TestServer.checks(a.get("health/ready").body()));

                redis.restart(); // empty: no append-only file
                long restarted = System.nanoTime();
                List<Long> bobGot = new ArrayList<>();
                while (bobGot.size() < 5) {
                    Map<String, Object> m = bob.poll(Duration.ofMillis(200));
                    if (m != null && "message".equals(m.get("type"))) {
                        bobGot.add(((Number) m.get("seq")).longValue());
                    }
                    assertTrue(System.nanoTime() - restarted < TimeUnit.SECONDS.toNanos(10), "bob got only " + bobGot + "\n" + b.log());
                }
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restarted);
                assertEquals(List.of(2L, 3L, 4L, 5L, 6L), bobGot, "every message of the outage, in order, once");
                assertTrue(millis <= 5000, "caught up " + millis + " ms after Redis returned");
                // live traffic crosses again, and the seq goes on from the database's, not from 1
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                Map<String, Object> crossed = null;
                for (int i = 0; crossed == null && System.nanoTime() < deadline; i++) {
                    long seq = say(alice, "after" + i);
                    assertEquals(7 + i, seq);
                    crossed = bob.poll(Duration.ofMillis(500));
                    while (crossed != null && !"message".equals(crossed.get("type"))) {
                        crossed = bob.poll(Duration.ofMillis(500));
                    }
                }
                assertTrue(crossed != null, "cross-node chat never resumed:\n" + a.log());
                assertEquals(200, a.get("health/ready").statusCode());
                for (JarNode node : new JarNode[] {a, b}) {
                    assertEquals(1, node.log().split("Redis at .* unreachable", -1).length - 1, "one log line per outage:\n" + node.log());
                    assertTrue(node.get("metrics").body().contains("chat_redis_outages_total 1.0"));
                }
                for (WsClient c : new WsClient[] {alice, amy, bob, bea}) {
                    c.close();
                }
            }
        }
    }

    @Test
    void aSessionEndedWhileRedisIsDownIsClosedOnTheOtherNodeOnceRedisIsBack() throws Exception {
        try (RedisServer redis = RedisServer.start(false)) {
            Map<String, String> env = new HashMap<>(Databases.postgresSettings());
            env.putAll(Map.of("CHAT_REDIS_URL", redis.url(), "CHAT_REDIS_PREFIX", "outage-s:", "CHAT_JWT_SECRET", TestServer.SECRET));
            try (JarNode a = JarNode.start(env); JarNode b = JarNode.start(env)) {
                String onA = a.token("roamer");
                WsClient onB = b.client(b.login("roamer"));
                redis.kill();
                java.net.http.HttpResponse<String> out = java.net.http.HttpClient.newBuilder()
                        .version(java.net.http.HttpClient.Version.HTTP_1_1).build().send(
                        java.net.http.HttpRequest.newBuilder(java.net.URI.create(a.base() + "api/logout"))
                                .header("Content-Type", "application/json").header("Authorization", "Bearer " + onA)
                                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"everywhere\":true}")).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                assertEquals(200, out.statusCode(), out::body);
                assertTrue(!onB.isClosed(), "the end could not travel yet");
                redis.restart();
                WsClient.assertCode(4503, onB);
                onB.close();
            }
        }
    }

    /** Sends and returns the ack's seq; presence re-announced after the outage may come first. */
    private static long say(WsClient c, String text) throws InterruptedException {
        String id = c.nextId();
        c.send(Map.of("type", "send", "room", "outage", "text", text, "id", id));
        Map<String, Object> f;
        while (!"ack".equals((f = c.next()).get("type"))) {
            assertEquals("presence", f.get("type"), f::toString);
        }
        assertEquals(id, f.get("id"));
        return ((Number) f.get("seq")).longValue();
    }

    private static Map<String, Object> nextMessage(WsClient c) throws InterruptedException {
        Map<String, Object> f;
        while (!"message".equals((f = c.next()).get("type"))) {
            // presence may come first
        }
        return f;
    }
}
