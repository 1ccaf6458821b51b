package dev.chat.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.ServerApiClient;
import dev.chat.testing.TestServer;
import dev.chat.testing.WebhookReceiver;
import dev.chat.testing.WsClient;
import jakarta.json.JsonObject;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Webhooks on one node (SQLite), against a real receiver that fails on purpose: every event arrives,
 * signed, once per id, in order per room, through 5xx, 429, 408 and timeouts; a 4xx drops its batch;
 * an event older than CHAT_WEBHOOK_RETRY_FOR is dropped; a backlog is batched by 100 and shown in
 * readiness, which stays UP.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WebhookTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private WebhookReceiver receiver;
    private TestServer server;

    private ServerApiClient start(Map<String, String> extra) throws Exception {
        receiver = WebhookReceiver.start();
        Map<String, String> env = new HashMap<>(Map.of("CHAT_API_KEYS", ServerApiClient.KEYS, "CHAT_WEBHOOK_URL", receiver.url(),
                "CHAT_WEBHOOK_SECRET", WebhookReceiver.SECRET, "CHAT_WEBHOOK_TIMEOUT", "500ms", "CHAT_WEBHOOK_OFFLINE_DEBOUNCE", "300ms"));
        env.putAll(extra);
        server = TestServer.start(env);
        return ServerApiClient.of(server.base());
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (receiver != null) {
            receiver.close();
        }
    }

    private double metric(String series) throws Exception {
        HttpResponse<String> r = server.get("metrics");
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " ([0-9.eE+-]+)$").matcher(r.body());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    private void awaitMetric(String series, double atLeast) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (metric(series) < atLeast) {
            assertTrue(System.nanoTime() < deadline, series + " never reached " + atLeast);
            Thread.sleep(50);
        }
    }

    private static List<JsonObject> ofRoom(List<JsonObject> events, String room) {
        return events.stream().filter(e -> e.containsKey("room") && room.equals(e.getString("room"))).toList();
    }

    private static void assertOncePerId(List<JsonObject> events) {
        Set<String> ids = new HashSet<>();
        for (JsonObject e : events) {
            assertTrue(ids.add(e.getString("id")), () -> "taken twice: " + e);
        }
    }

    @Test
    void everyEventArrivesSignedOnceAndInOrderPerRoomThroughFailures() throws Exception {
        ServerApiClient api = start(Map.of());
        receiver.fail(503, -1500, 429, 408); // the first four posts fail: a 5xx, a timeout, too many, and a request timeout
        String alice = server.token("alice");
        server.token("bob");
        String text = "he said \"hi\" <b>&</b>\n\u00e9";
        long first;
        long second;
        try (WsClient a = server.client(alice)) {
            a.send(Map.of("type", "create", "room", "wh-team", "private", true, "id", "c1"));
            a.expect("created");
            a.expect("joined");
            assertEquals(201, api.post("rooms/wh-team/members", "{\"user\":\"bob\"}").statusCode());
            first = a.say("wh-team", text);
            second = a.say("wh-team", "second");
            a.say("wh-team", "third");
            a.send(Map.of("type", "edit", "room", "wh-team", "target", first, "text", "first, edited", "id", "e1"));
            a.expect("ack");
            a.send(Map.of("type", "delete", "room", "wh-team", "target", second, "id", "d1"));
            a.expect("ack");
            a.send(Map.of("type", "send", "to", "bob", "text", "psst", "id", "dm1"));
            a.expect("ack");
            assertEquals(200, api.call("DELETE", "rooms/wh-team/members/bob", null).statusCode());
        }
        receiver.await(WebhookReceiver.is("user.offline", "user", "alice"), WAIT, "alice offline");

        List<JsonObject> taken = receiver.taken();
        assertOncePerId(taken);
        assertEquals(0, receiver.badSignatures());
        assertTrue(receiver.requests() >= 5, "four failed posts, then the taken ones: " + receiver.requests());
        List<String> team = ofRoom(taken, "wh-team").stream()
                .map(e -> e.getString("type") + (e.containsKey("user") ? " " + e.getString("user") : "")
                        + (e.containsKey("seq") ? " " + e.getJsonNumber("seq").longValue() : ""))
                .toList();
        assertEquals(List.of("room.created", "member.joined alice", "member.joined bob", "message.created 1",
                "message.created 2", "message.created 3", "message.edited 4", "message.deleted 5", "member.left bob"), team);
        JsonObject created = ofRoom(taken, "wh-team").get(0);
        assertEquals("alice", created.getString("owner"));
        assertTrue(created.getBoolean("private"));
        JsonObject message = ofRoom(taken, "wh-team").get(3);
        assertEquals(text, message.getString("text"), "user text arrives as it was written, escaped by JSON only");
        assertEquals("alice", message.getString("from"));
        assertTrue(message.getString("ts").matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d{1,3})?Z"), message::toString);
        JsonObject edited = ofRoom(taken, "wh-team").get(6);
        assertEquals(first, edited.getJsonNumber("target").longValue());
        assertEquals("first, edited", edited.getString("text"));
        JsonObject deleted = ofRoom(taken, "wh-team").get(7);
        assertEquals(second, deleted.getJsonNumber("target").longValue());
        assertEquals("alice", deleted.getString("by"));
        JsonObject direct = receiver.await(e -> "message.created".equals(e.getString("type")) && !e.containsKey("room"), WAIT, "the DM");
        assertEquals("alice", direct.getString("from"));
        assertEquals("bob", direct.getString("to"));
        assertEquals("psst", direct.getString("text"));
        List<String> aliceState = taken.stream().filter(e -> e.getString("type").startsWith("user.") && e.getString("user").equals("alice"))
                .map(e -> e.getString("type")).toList();
        assertEquals(List.of("user.online", "user.offline"), aliceState);
        assertTrue(metric("chat_webhook_retried_total") >= 4, "each failed post was tried again");
        awaitMetric("chat_webhook_delivered_total", taken.size());
    }

    @Test
    void aReconnectWithinTheDebounceIsNoNewsAndTwoConnectionsAreOneUser() throws Exception {
        ServerApiClient api = start(Map.of("CHAT_WEBHOOK_OFFLINE_DEBOUNCE", "2s"));
        String carol = server.token("carol");
        WsClient one = server.client(carol);
        WsClient two = server.client(carol);
        receiver.await(WebhookReceiver.is("user.online", "user", "carol"), WAIT, "carol online");
        long closedAt = System.nanoTime();
        one.close();
        two.close();
        // a slow reload: back after 1 s, far longer than a report takes without the debounce (a tick, 0.2 s)
        Thread.sleep(1000);
        WsClient again = server.client(carol);
        // past the debounce and its tick, an offline would be in the outbox, before a message posted now
        Thread.sleep(Math.max(0, 2700 - (System.nanoTime() - closedAt) / 1_000_000));
        assertEquals(201, api.post("messages", "{\"room\":\"general\",\"from\":\"bot:mark\",\"text\":\"marker\"}").statusCode());
        receiver.await(WebhookReceiver.is("message.created", "text", "marker"), WAIT, "the marker");
        List<JsonObject> sofar = receiver.taken();
        again.close();
        receiver.await(WebhookReceiver.is("user.offline", "user", "carol"), WAIT, "carol offline");
        assertEquals(List.of("user.online"), sofar.stream().filter(e -> e.getString("type").startsWith("user.")).map(e -> e.getString("type")).toList());
        assertEquals(List.of("user.online", "user.offline"),
                receiver.taken().stream().filter(e -> e.getString("type").startsWith("user.")).map(e -> e.getString("type")).toList());
    }

    @Test
    void aBatchTheReceiverRefusesWithA4xxIsDroppedAndCounted() throws Exception {
        ServerApiClient api = start(Map.of());
        receiver.fail(400);
        assertEquals(201, api.post("messages", "{\"room\":\"general\",\"from\":\"bot:news\",\"text\":\"doomed\"}").statusCode());
        awaitMetric("chat_webhook_failed_total{reason=\"rejected\"}", 1);
        assertEquals(201, api.post("messages", "{\"room\":\"general\",\"from\":\"bot:news\",\"text\":\"after\"}").statusCode());
        receiver.await(WebhookReceiver.is("message.created", "text", "after"), WAIT, "the message after the refusal");
        assertFalse(receiver.taken().stream().anyMatch(WebhookReceiver.is("message.created", "text", "doomed")),
                "a refused batch is not sent again");
        assertEquals(1, metric("chat_webhook_failed_total{reason=\"rejected\"}"));
    }

    @Test
    void aBacklogLeavesInBatchesOfAtMost100InSeqOrderWhileReadinessStaysUp() throws Exception {
        ServerApiClient api = start(Map.of());
        receiver.failAlways(503);
        int n = 250;
        for (int i = 1; i <= n; i++) {
            HttpResponse<String> r = api.post("messages", "{\"room\":\"general\",\"from\":\"bot:load\",\"text\":\"m" + i + "\"}");
            assertEquals(201, r.statusCode(), r::body);
        }
        long deadline = System.nanoTime() + WAIT.toNanos();
        Map<String, Object> webhooks;
        do {
            assertTrue(System.nanoTime() < deadline, "the backlog never showed in readiness");
            Thread.sleep(100);
            HttpResponse<String> ready = server.get("health/ready");
            assertEquals(200, ready.statusCode(), "a receiver that is down is no reason to take the node out: " + ready.body());
            webhooks = check(ready.body(), "webhooks");
            assertEquals("UP", webhooks.get("status"));
        } while (((Number) data(webhooks).get("queued")).longValue() < n);
        assertTrue(metric("chat_webhook_queue_events") >= n);
        receiver.failAlways(0);
        deadline = System.nanoTime() + WAIT.toNanos();
        while (ofRoom(receiver.taken(), "general").size() < n) {
            assertTrue(System.nanoTime() < deadline, "taken: " + ofRoom(receiver.taken(), "general").size());
            Thread.sleep(50);
        }
        List<JsonObject> room = ofRoom(receiver.taken(), "general");
        assertOncePerId(receiver.taken());
        for (int i = 0; i < n; i++) {
            assertEquals(i + 1, room.get(i).getJsonNumber("seq").longValue());
            assertEquals("m" + (i + 1), room.get(i).getString("text"));
            assertEquals("bot:load", room.get(i).getString("from"));
        }
        List<Integer> sizes = receiver.takenBatchSizes();
        assertTrue(sizes.stream().allMatch(s -> s <= 100), sizes::toString);
        assertTrue(sizes.contains(100), "a backlog leaves 100 at a time: " + sizes);
    }

    @Test
    void anEventTheReceiverDidNotTakeWithinRetryForIsDroppedAndCounted() throws Exception {
        ServerApiClient api = start(Map.of("CHAT_WEBHOOK_RETRY_FOR", "3s")); // beyond the 1 s a batch gathers
        receiver.failAlways(500);
        assertEquals(201, api.post("messages", "{\"room\":\"general\",\"from\":\"bot:news\",\"text\":\"stale\"}").statusCode());
        awaitMetric("chat_webhook_failed_total{reason=\"expired\"}", 1);
        receiver.failAlways(0);
        assertEquals(201, api.post("messages", "{\"room\":\"general\",\"from\":\"bot:news\",\"text\":\"fresh\"}").statusCode());
        receiver.await(WebhookReceiver.is("message.created", "text", "fresh"), WAIT, "the fresh message");
        assertFalse(receiver.taken().stream().anyMatch(WebhookReceiver.is("message.created", "text", "stale")));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> check(String body, String name) {
        for (Object c : (List<Object>) TestServer.json(body).get("checks")) {
            Map<String, Object> check = (Map<String, Object>) c;
            if (name.equals(check.get("name"))) {
                return check;
            }
        }
        throw new AssertionError("no check " + name + " in " + body);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> data(Map<String, Object> check) {
        return (Map<String, Object>) check.get("data");
    }
}
