package dev.chat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.TestServer;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code /health/live}, {@code /health/ready}, {@code /health/started} and {@code /health} in
 * MicroProfile Health's shape, over real HTTP; DOWN while draining is {@code ShutdownTest}'s.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HealthTest {
    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("CHAT_NODE_ID", "health-node"));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** The body's checks, each exactly {name, status, data} with data an object. */
    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> shape(HttpResponse<String> r, int status, String overall) {
        assertEquals(status, r.statusCode(), r::body);
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        Map<String, Object> body = TestServer.json(r.body());
        assertEquals(java.util.Set.of("status", "checks"), body.keySet(), r.body());
        assertEquals(overall, body.get("status"));
        List<Map<String, Object>> checks = (List<Map<String, Object>>) body.get("checks");
        for (Map<String, Object> check : checks) {
            assertEquals(java.util.Set.of("name", "status", "data"), check.keySet(), r.body());
            assertTrue(check.get("data") instanceof Map, r.body());
        }
        return checks;
    }

    @Test
    void liveIsTheProcessCheck() throws Exception {
        HttpResponse<String> r = server.get("health/live");
        List<Map<String, Object>> checks = shape(r, 200, "UP");
        assertEquals(Map.of("process", "UP"), TestServer.checks(r.body()));
        assertEquals("health-node", ((Map<?, ?>) checks.get(0).get("data")).get("node"));
    }

    @Test
    void readyIsAcceptingAndTheDatabase() throws Exception {
        HttpResponse<String> r = server.get("health/ready");
        List<Map<String, Object>> checks = shape(r, 200, "UP");
        assertEquals(Map.of("accepting", "UP", "database", "UP"), TestServer.checks(r.body()));
        assertEquals(Map.of("store", "sqlite"), checks.get(1).get("data"));
    }

    @Test
    void startedIsUpOnceTheNodeHasStarted() throws Exception {
        HttpResponse<String> r = server.get("health/started");
        List<Map<String, Object>> checks = shape(r, 200, "UP");
        assertEquals(Map.of("started", "UP"), TestServer.checks(r.body()));
        assertEquals(dev.chat.config.Version.current(), ((Map<?, ?>) checks.get(0).get("data")).get("version"));
    }

    @Test
    void healthIsEveryCheckInOneAnswer() throws Exception {
        HttpResponse<String> r = server.get("health");
        shape(r, 200, "UP");
        assertEquals(List.of("process", "started", "accepting", "database"), List.copyOf(TestServer.checks(r.body()).keySet()));
    }

    @Test
    void otherPathsUnderHealthAreNotFound() throws Exception {
        assertEquals(404, server.get("health/other").statusCode());
        assertEquals(404, server.get("health/").statusCode());
    }
}
