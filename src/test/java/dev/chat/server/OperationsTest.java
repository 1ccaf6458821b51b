package dev.chat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What an operator sees: health checks and the Prometheus metrics moving with the traffic. */
@Timeout(60)
class OperationsTest {
    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("CHAT_MAX_ROOMS_PER_USER", "1"));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static double metric(String series) throws Exception {
        HttpResponse<String> r = server.get("metrics");
        assertEquals(200, r.statusCode());
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " ([0-9.eE+-]+)$").matcher(r.body());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    @Test
    void healthIsUpWhileServing() throws Exception {
        HttpResponse<String> live = server.get("health/live");
        assertEquals(200, live.statusCode());
        assertEquals("UP", TestServer.json(live.body()).get("status"));
        assertEquals(Map.of("process", "UP"), TestServer.checks(live.body()));
        HttpResponse<String> ready = server.get("health/ready");
        assertEquals(200, ready.statusCode());
        assertEquals("UP", TestServer.json(ready.body()).get("status"));
        assertEquals(Map.of("accepting", "UP", "database", "UP"), TestServer.checks(ready.body()));
    }

    @Test
    void metricsAreInThePrometheusTextFormat() throws Exception {
        HttpResponse<String> r = server.get("metrics");
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
        assertTrue(r.body().contains("# TYPE chat_connections_open gauge"), r.body());
        assertTrue(r.body().contains("jvm_memory_used_bytes"), "JVM basics are there");
    }

    /** Prometheus advises exporting labelled series at 0; and a client's own close code must not mint a series. */
    @Test
    void labelledCountersStartAtZeroAndAClientsOwnCloseCodeCountsAsOther() throws Exception {
        String body = server.get("metrics").body();
        for (String series : new String[] {"chat_frames_in_total{type=\"create\"}", "chat_frames_in_total{type=\"refresh\"}",
                "chat_disconnects_total{code=\"4001\"}", "chat_disconnects_total{code=\"4003\"}",
                "chat_handshakes_rejected_total{code=\"4502\"}", "chat_disconnects_total{code=\"other\"}"}) {
            assertTrue(Pattern.compile("(?m)^" + Pattern.quote(series) + " ").matcher(body).find(), series + " in\n" + body);
        }
        double other = metric("chat_disconnects_total{code=\"other\"}");
        try (WsClient odd = server.client(server.token("ops-odd"))) {
            odd.closeWith(4999);
        }
        assertEquals(other + 1, awaitMetric("chat_disconnects_total{code=\"other\"}", other + 1));
        assertTrue(!server.get("metrics").body().contains("code=\"4999\""), "no series of the client's own code");
    }

    /** Polls a series until it reaches {@code expected} (writes complete a moment after the client has read). */
    private static double awaitMetric(String series, double expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        double value = metric(series);
        while (value < expected && System.nanoTime() < deadline) {
            Thread.sleep(20);
            value = metric(series);
        }
        return value;
    }

    @Test
    void everyDeliveredMessageIsTimedInTheLatencyHistogram() throws Exception {
        HttpResponse<String> before = server.get("metrics");
        assertTrue(before.body().contains("# TYPE chat_delivery_latency_seconds histogram"), before.body());
        assertTrue(before.body().contains("chat_delivery_latency_seconds_bucket{le=\"0.001\"}"), "the 1 ms SLO bucket");
        assertTrue(before.body().contains("chat_delivery_latency_seconds_bucket{le=\"0.25\"}"), "the 250 ms SLO bucket");
        double count = metric("chat_delivery_latency_seconds_count");
        double sum = metric("chat_delivery_latency_seconds_sum");
        double inf = metric("chat_delivery_latency_seconds_bucket{le=\"+Inf\"}");
        try (WsClient a = server.client(server.token("lat-a")); WsClient b = server.client(server.token("lat-b"));
             WsClient c = server.client(server.token("lat-c"))) {
            a.join("latency");
            b.join("latency");
            c.join("latency");
            a.expect("presence"); // b
            a.expect("presence"); // c
            b.expect("presence"); // c
            for (int i = 1; i <= 5; i++) {
                a.say("latency", "timed " + i);
            }
            for (int i = 1; i <= 5; i++) {
                assertEquals("timed " + i, b.expect("message").get("text"));
                assertEquals("timed " + i, c.expect("message").get("text"));
            }
            // 5 messages to 2 receivers: 10 deliveries; acks, joins and presence are not messages
            assertEquals(count + 10, awaitMetric("chat_delivery_latency_seconds_count", count + 10));
            Thread.sleep(200);
            assertEquals(count + 10, metric("chat_delivery_latency_seconds_count"), "no more than one per delivery");
            assertEquals(inf + 10, metric("chat_delivery_latency_seconds_bucket{le=\"+Inf\"}"));
            assertTrue(metric("chat_delivery_latency_seconds_sum") > sum, "the time is summed");
        }
    }

    @Test
    void trafficMovesTheCounters() throws Exception {
        double connects = metric("chat_connects_total");
        double sends = metric("chat_frames_in_total{type=\"send\"}");
        double messagesOut = metric("chat_frames_out_total{type=\"message\"}");
        double roomLimit = metric("chat_limit_hits_total{limit=\"too_many_rooms\"}");
        double normalCloses = metric("chat_disconnects_total{code=\"1000\"}");
        try (WsClient a = server.client(server.token("ops-a")); WsClient b = server.client(server.token("ops-b"))) {
            assertEquals(2, metric("chat_connections_open"));
            a.join("ops");
            b.join("ops");
            a.expect("presence");
            a.say("ops", "counted");
            b.expect("message");
            a.send(Map.of("type", "join", "room", "ops-2", "id", "x"));
            assertEquals("too_many_rooms", a.expect("error").get("code"));
            assertEquals(connects + 2, metric("chat_connects_total"));
            assertEquals(sends + 1, metric("chat_frames_in_total{type=\"send\"}"));
            assertEquals(messagesOut + 1, metric("chat_frames_out_total{type=\"message\"}"));
            assertEquals(roomLimit + 1, metric("chat_limit_hits_total{limit=\"too_many_rooms\"}"));
            assertEquals(1, metric("chat_rooms"));
            assertEquals(2, metric("chat_room_members"));
            a.close();
            b.expect("presence"); // a's close has been processed once b hears about it
            assertEquals(normalCloses + 1, metric("chat_disconnects_total{code=\"1000\"}"));
        }
    }
}
