package dev.chat.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.Databases;
import dev.chat.testing.JarNode;
import dev.chat.testing.PostgresServer;
import dev.chat.testing.RedisServer;
import dev.chat.testing.ServerApiClient;
import dev.chat.testing.TestServer;
import dev.chat.testing.WebhookReceiver;
import dev.chat.testing.WsClient;
import jakarta.json.JsonObject;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
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
@Timeout(240)
class WebhookClusterIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private final List<JarNode> nodes = new ArrayList<>();
    private final List<WsClient> clients = new ArrayList<>();
    private RedisServer redis;
    private WebhookReceiver receiver;

    @AfterEach
    void stop() throws Exception {
        clients.forEach(WsClient::close);
        for (JarNode n : nodes) {
            n.close();
        }
        if (receiver != null) {
            receiver.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    private JarNode node(Map<String, String> database, String name) throws Exception {
        Map<String, String> env = new HashMap<>(database);
        env.put("CHAT_REDIS_URL", redis.url());
        env.put("CHAT_REDIS_PREFIX", "webhooks:");
        env.put("CHAT_JWT_SECRET", TestServer.SECRET);
        env.put("CHAT_NODE_ID", name);
        env.put("CHAT_API_KEYS", ServerApiClient.KEYS);
        env.put("CHAT_WEBHOOK_URL", receiver.url());
        env.put("CHAT_WEBHOOK_SECRET", WebhookReceiver.SECRET);
        env.put("CHAT_WEBHOOK_TIMEOUT", "500ms");
        env.put("CHAT_WEBHOOK_OFFLINE_DEBOUNCE", "300ms");
        JarNode node = JarNode.start(env);
        nodes.add(node);
        assertTrue(node.base() != null, node::log);
        return node;
    }

    private WsClient client(JarNode node, String token) throws Exception {
        WsClient c = node.client(token);
        clients.add(c);
        return c;
    }

    private static double metric(JarNode node, String series) throws Exception {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " ([0-9.eE+-]+)$").matcher(node.get("metrics").body());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    @Test
    void theSendingNodeKilledWhileTheReceiverFailsLosesNoEventAndNoneArrivesTwice() throws Exception {
        redis = RedisServer.start();
        receiver = WebhookReceiver.start();
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

    /**
     * A database outage longer than the node timeout (15 s) silences every node's heartbeat; once it is
     * back, the first node to beat takes the other's users off it. The other, finding its own beat was
     * stale, reports its users again: everyone still connected is online again, on every node's API and
     * in the last event the receiver got for them.
     */
    @Test
    void usersOfANodeSilencedByADatabaseOutageAreReportedAgainWhenItIsBack() throws Exception {
        redis = RedisServer.start();
        receiver = WebhookReceiver.start();
        try (PostgresServer pg = PostgresServer.start()) {
            Map<String, String> database = new HashMap<>(Map.of("CHAT_DB_URL", pg.jdbcUrl(), "CHAT_DB_USER", pg.user()));
            if (!pg.password().isEmpty()) {
                database.put("CHAT_DB_PASSWORD", pg.password());
            }
            JarNode a = node(database, "wh-a");
            JarNode b = node(database, "wh-b");
            ServerApiClient onA = ServerApiClient.of(URI.create(a.base()));
            ServerApiClient onB = ServerApiClient.of(URI.create(b.base()));
            client(a, a.token("alice")); // in no room: only the database says where she is
            client(b, b.token("bob"));
            receiver.await(WebhookReceiver.is("user.online", "user", "alice"), WAIT, "alice online");
            receiver.await(WebhookReceiver.is("user.online", "user", "bob"), WAIT, "bob online");

            pg.stop();
            Thread.sleep(17_000); // the fault under test: an outage longer than the 15 s after which a node's users are reaped
            pg.restart();

            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!(online(onB, "alice") && online(onA, "bob") && lastState("alice").equals("user.online")
                    && lastState("bob").equals("user.online"))) {
                assertTrue(System.nanoTime() < deadline, () -> "after the outage: alice on b " + online(onB, "alice") + ", bob on a "
                        + online(onA, "bob") + ", events " + receiver.taken());
                Thread.sleep(100);
            }
        }
    }

    private static boolean online(ServerApiClient api, String user) {
        try {
            return Boolean.TRUE.equals(ServerApiClient.json(api.get("users/" + user)).get("online"));
        } catch (Exception e) {
            return false; // the node may still be finding its database again
        }
    }

    private String lastState(String user) {
        List<String> states = receiver.taken().stream().filter(e -> e.getString("type").startsWith("user.") && e.getString("user").equals(user))
                .map(e -> e.getString("type")).toList();
        return states.isEmpty() ? "" : states.get(states.size() - 1);
    }

    private List<JsonObject> messages() {
        return receiver.taken().stream().filter(e -> "message.created".equals(e.getString("type"))).toList();
    }
}
