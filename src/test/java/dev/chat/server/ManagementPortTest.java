package dev.chat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.TestServer;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code CHAT_MANAGEMENT_PORT}: the operations endpoints move to their own port, and only they are there
 * (without it they are on the chat port: {@code OperationsTest}, {@code HealthTest}).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ManagementPortTest {
    private static final String[] OPERATIONS = {"metrics", "health", "health/live", "health/ready", "health/started"};
    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("CHAT_MANAGEMENT_PORT", "0"));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void theManagementPortIsASecondPort() {
        assertTrue(server.server().managementPort() > 0);
        assertNotEquals(server.server().port(), server.server().managementPort());
    }

    @Test
    void theManagementPortServesMetricsAndHealth() throws Exception {
        for (String path : OPERATIONS) {
            HttpResponse<String> r = TestServer.get(server.management().resolve(path));
            assertEquals(200, r.statusCode(), path);
        }
        assertTrue(TestServer.get(server.management().resolve("metrics")).body().contains("# TYPE chat_connections_open gauge"));
        assertEquals(Map.of("accepting", "UP", "database", "UP"),
                TestServer.checks(TestServer.get(server.management().resolve("health/ready")).body()));
    }

    @Test
    void theChatPortAnswers404ForThem() throws Exception {
        for (String path : OPERATIONS) {
            HttpResponse<String> r = server.get(path);
            assertEquals(404, r.statusCode(), path);
            assertTrue(!r.body().contains("chat_") && !r.body().contains("UP"), r.body());
        }
    }

    @Test
    void theChatPortStillServesTheApiAndThePage() throws Exception {
        assertEquals(200, server.get("api/protocol").statusCode());
        assertEquals(200, server.get("").statusCode());
        assertTrue(server.token("mgmt-user").length() > 20, "login works on the chat port");
    }

    @Test
    void theManagementPortServesNothingElse() throws Exception {
        assertEquals(404, TestServer.get(server.management().resolve("api/protocol")).statusCode());
        assertEquals(404, TestServer.get(server.management().resolve("")).statusCode());
        assertEquals(404, TestServer.get(server.management().resolve("index.html")).statusCode());
    }
}
