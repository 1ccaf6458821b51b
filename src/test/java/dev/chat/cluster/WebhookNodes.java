package dev.chat.cluster;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.JarNode;
import dev.chat.testing.RedisServer;
import dev.chat.testing.ServerApiClient;
import dev.chat.testing.TestServer;
import dev.chat.testing.WebhookReceiver;
import dev.chat.testing.WsClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Jar nodes with webhooks for the webhook ITs: a real Redis and a real receiver, started on first
 * use, each node pointed at them with short webhook timings; everything closed by {@link #close}.
 */
final class WebhookNodes implements AutoCloseable {
    static final Duration WAIT = Duration.ofSeconds(60);
    private final List<JarNode> nodes = new ArrayList<>();
    private final List<WsClient> clients = new ArrayList<>();
    private RedisServer redis;
    private WebhookReceiver receiver;

    RedisServer redis() throws Exception {
        if (redis == null) {
            redis = RedisServer.start();
        }
        return redis;
    }

    WebhookReceiver receiver() throws Exception {
        if (receiver == null) {
            receiver = WebhookReceiver.start();
        }
        return receiver;
    }

    JarNode node(Map<String, String> database, String name) throws Exception {
        Map<String, String> env = new HashMap<>(database);
        env.put("CHAT_REDIS_URL", redis().url());
        env.put("CHAT_REDIS_PREFIX", "webhooks:");
        env.put("CHAT_JWT_SECRET", TestServer.SECRET);
        env.put("CHAT_NODE_ID", name);
        env.put("CHAT_API_KEYS", ServerApiClient.KEYS);
        env.put("CHAT_WEBHOOK_URL", receiver().url());
        env.put("CHAT_WEBHOOK_SECRET", WebhookReceiver.SECRET);
        env.put("CHAT_WEBHOOK_TIMEOUT", "500ms");
        env.put("CHAT_WEBHOOK_OFFLINE_DEBOUNCE", "300ms");
        JarNode node = JarNode.start(env);
        nodes.add(node);
        assertTrue(node.base() != null, node::log);
        return node;
    }

    WsClient client(JarNode node, String token) throws Exception {
        WsClient c = node.client(token);
        clients.add(c);
        return c;
    }

    /** Whether {@code api}'s node says {@code user} is online; false while it cannot answer. */
    static boolean online(ServerApiClient api, String user) {
        try {
            return Boolean.TRUE.equals(ServerApiClient.json(api.get("users/" + user)).get("online"));
        } catch (Exception e) {
            return false; // the node may still be finding its database again
        }
    }

    /** The type of the last {@code user.*} event the receiver took for {@code user}, or "". */
    String lastState(String user) {
        List<String> states = receiver.taken().stream().filter(e -> e.getString("type").startsWith("user.") && e.getString("user").equals(user))
                .map(e -> e.getString("type")).toList();
        return states.isEmpty() ? "" : states.get(states.size() - 1);
    }

    @Override
    public void close() throws Exception {
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
}
