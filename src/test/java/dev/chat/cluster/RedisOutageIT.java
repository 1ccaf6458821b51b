package dev.chat.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.JarNode;
import dev.chat.testing.RedisServer;
import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Redis killed and restarted under two nodes: each node keeps its members connected, refuses
 * messages plainly (no ack without the cluster's history), login and readiness say 503, and once
 * Redis is back cross-node chat resumes by itself within 5 s; the outage is logged once per node
 * and counted.
 */
@Timeout(180)
class RedisOutageIT {

    @Test
    void nodesServeLocallyDuringTheOutageAndHealWithoutRestart() throws Exception {
        try (RedisServer redis = RedisServer.start(true)) {
            Map<String, String> env = Map.of("CHAT_REDIS_URL", redis.url(), "CHAT_REDIS_PREFIX", "outage:",
                    "CHAT_JWT_SECRET", TestServer.SECRET);
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
                assertEquals("before", bob.expect("message").get("text"));
                assertEquals("before", amy.expect("message").get("text"));

                redis.kill();
                // no ack without the cluster's history: the send is refused plainly, nobody sees it
                alice.send(Map.of("type", "send", "room", "outage", "text", "during", "id", "during-1"));
                Map<String, Object> refused = alice.expect("error");
                assertEquals("unavailable", refused.get("code"));
                assertEquals("during-1", refused.get("id"));
                amy.assertNothingPending("outage");

                HttpResponse<String> login = a.post("api/login", TestServer.credentials("alice", "password-alice"));
                assertEquals(503, login.statusCode());
                assertEquals("the user store is unavailable; try again shortly", TestServer.json(login.body()).get("error"));
                HttpResponse<String> ready = a.get("health/ready");
                assertEquals(503, ready.statusCode());
                assertEquals("DOWN", ((Map<?, ?>) TestServer.json(ready.body()).get("checks")).get("redis"));
                bob.assertNothingPending("outage"); // cross-node delivery paused: nothing from A reached B

                redis.restart();
                long restarted = System.nanoTime();
                long seq = -1;
                Map<String, Object> crossed = null;
                for (int i = 0; crossed == null && System.nanoTime() - restarted < TimeUnit.SECONDS.toNanos(10); i++) {
                    alice.send(Map.of("type", "send", "room", "outage", "text", "probe-" + i, "id", "probe-" + i));
                    Map<String, Object> answer;
                    while (!"ack".equals((answer = alice.next()).get("type"))) {
                        if ("error".equals(answer.get("type"))) {
                            assertEquals("unavailable", answer.get("code")); // not reconnected yet
                            break;
                        }
                    }
                    if ("ack".equals(answer.get("type"))) {
                        seq = ((Number) answer.get("seq")).longValue();
                    }
                    Map<String, Object> f = bob.poll(Duration.ofMillis(250));
                    while (f != null && !"message".equals(f.get("type"))) {
                        f = bob.poll(Duration.ofMillis(250));
                    }
                    crossed = f;
                }
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restarted);
                assertTrue(crossed != null, "cross-node chat never resumed:\n" + a.log());
                assertTrue(millis <= 5000, "resumed after " + millis + " ms");
                // the refused message, resent with its id, is accepted once
                alice.send(Map.of("type", "send", "room", "outage", "text", "during", "id", "during-1"));
                Map<String, Object> ack;
                while (!"ack".equals((ack = alice.next()).get("type"))) {
                    // presence re-announced after the outage may come first
                }
                assertEquals("during-1", ack.get("id"));
                assertTrue(((Number) ack.get("seq")).longValue() > seq);

                assertEquals(200, a.get("health/ready").statusCode());
                assertEquals(200, a.post("api/login", TestServer.credentials("alice", "password-alice")).statusCode());
                for (JarNode node : new JarNode[] {a, b}) {
                    assertEquals(1, node.log().split("unreachable", -1).length - 1, "one log line per outage:\n" + node.log());
                    assertTrue(node.get("metrics").body().contains("chat_redis_outages_total 1.0"));
                }
                for (WsClient c : new WsClient[] {alice, amy, bob}) {
                    c.close();
                }
            }
        }
    }
}
