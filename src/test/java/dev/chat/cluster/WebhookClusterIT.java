package dev.chat.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.Databases;
import dev.chat.testing.JarNode;
import dev.chat.testing.RedisServer;
import dev.chat.testing.ServerApiClient;
import dev.chat.testing.WebhookReceiver;
import dev.chat.testing.WsClient;
import jakarta.json.JsonObject;
import java.net.URI;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Webhooks on a cluster of two nodes (PostgreSQL, Redis): an event is sent once for the cluster, not
 * once per node; a user connected to both nodes is one user.online; the node that sends is killed
 * (kill -9) while the receiver fails, and the other takes over and delivers every event, in order,
 * once per id, and reports the killed node's user offline.
 */
@Timeout(180)
class WebhookClusterIT {
    private static final Duration WAIT = WebhookNodes.WAIT;
    private final WebhookNodes cluster = new WebhookNodes();
    private RedisServer redis;
    private WebhookReceiver receiver;

    @AfterEach
    void stop() throws Exception {
        cluster.close();
    }

    private JarNode node(Map<String, String> database, String name) throws Exception {
        return cluster.node(database, name);
    }

    private WsClient client(JarNode node, String token) throws Exception {
        return cluster.client(node, token);
    }

    private static double metric(JarNode node, String series) throws Exception {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " ([0-9.eE+-]+)$").matcher(node.get("metrics").body());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    @Test
    void theSendingNodeKilledWhileTheReceiverFailsLosesNoEventAndNoneArrivesTwice() throws Exception {
        redis = cluster.redis();
        receiver = cluster.receiver();
        Map<String, String> database = Databases.postgresSettings();
        JarNode a = node(database, "wh-a");
        JarNode b = node(database, "wh-b");
        client(a, a.token("alice"));
        client(b, b.login("alice"));
        receiver.await(WebhookReceiver.is("user.online", "user", "alice"), WAIT, "alice online");

        receiver.failAlways(503);
        ServerApiClient onA = ServerApiClient.of(URI.create(a.base()));
        ServerApiClient onB = ServerApiClient.of(URI.create(b.base()));
        int n = 40;
        for (int i = 1; i <= n; i++) {
            String body = "{\"room\":\"general\",\"from\":\"bot:ops\",\"text\":\"m" + i + "\"}";
            assertEquals(201, (i % 2 == 0 ? onA : onB).post("messages", body).statusCode());
        }
        long deadline = System.nanoTime() + WAIT.toNanos();
        JarNode sender;
        while (true) {
            if (metric(a, "chat_webhook_retried_total") > 0) {
                sender = a;
                break;
            }
            if (metric(b, "chat_webhook_retried_total") > 0) {
                sender = b;
                break;
            }
            assertTrue(System.nanoTime() < deadline, "no node tried the failing receiver");
            Thread.sleep(100);
        }
        JarNode survivor = sender == a ? b : a;
        assertEquals(0, metric(survivor, "chat_webhook_retried_total"), "one node sends for the cluster");
        client(sender, sender.token("bob"));
        // bob, in no room, is online for the survivor only once his node reported him to the database
        ServerApiClient onSurvivor = survivor == a ? onA : onB;
        deadline = System.nanoTime() + WAIT.toNanos();
        while (!Boolean.TRUE.equals(ServerApiClient.json(onSurvivor.get("users/bob")).get("online"))) {
            assertTrue(System.nanoTime() < deadline, "bob's connection was never reported");
            Thread.sleep(50);
        }
        sender.kill();
        receiver.failAlways(0);

        receiver.await(WebhookReceiver.is("user.offline", "user", "bob"), WAIT, "bob offline once his node's beat stopped");
        deadline = System.nanoTime() + WAIT.toNanos();
        while (messages().size() < n) {
            assertTrue(System.nanoTime() < deadline, "taken: " + messages().size() + " of " + n);
            Thread.sleep(100);
        }
        List<JsonObject> taken = receiver.taken();
        Set<String> ids = new HashSet<>();
        for (JsonObject e : taken) {
            assertTrue(ids.add(e.getString("id")), () -> "taken twice: " + e);
        }
        List<JsonObject> messages = messages();
        for (int i = 0; i < n; i++) {
            assertEquals(i + 1, messages.get(i).getJsonNumber("seq").longValue(), "in seq order: " + messages);
        }
        List<String> alice = taken.stream().filter(e -> e.getString("type").startsWith("user.") && e.getString("user").equals("alice"))
                .map(e -> e.getString("type")).toList();
        assertEquals(List.of("user.online"), alice, "alice, on both nodes, was online once and is still (the survivor has her)");
        assertEquals(0, receiver.badSignatures());
        assertTrue(metric(survivor, "chat_webhook_delivered_total") >= n, "the survivor took the sending over");
    }

    private List<JsonObject> messages() {
        return receiver.taken().stream().filter(e -> "message.created".equals(e.getString("type"))).toList();
    }
}
