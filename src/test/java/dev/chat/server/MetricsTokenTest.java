package dev.chat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.TestServer;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code CHAT_METRICS_TOKEN}: {@code /metrics} only with {@code Authorization: Bearer <token>}; health stays open. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MetricsTokenTest {
    private static final String TOKEN = "scrape-token-0123456789abcdef";
    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("CHAT_METRICS_TOKEN", TOKEN));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static HttpResponse<String> metrics(String... headers) throws Exception {
        return TestServer.get(server.base().resolve("metrics"), headers);
    }

    @Test
    void withoutAuthorizationMetricsAnswer401WithAChallenge() throws Exception {
        HttpResponse<String> r = metrics();
        assertEquals(401, r.statusCode());
        assertEquals("Bearer realm=\"metrics\"", r.headers().firstValue("WWW-Authenticate").orElse(null));
        assertFalse(r.body().contains("chat_"), r.body());
    }

    @Test
    void aWrongTokenAnswers401() throws Exception {
        assertEquals(401, metrics("Authorization", "Bearer " + TOKEN + "x").statusCode());
        assertEquals(401, metrics("Authorization", "Bearer " + TOKEN.substring(1)).statusCode());
        assertEquals(401, metrics("Authorization", "Basic " + TOKEN).statusCode());
        assertEquals(401, metrics("Authorization", TOKEN).statusCode());
        assertEquals(401, metrics("Authorization", "Bearer ").statusCode());
    }

    @Test
    void theTokenAnswersTheMetrics() throws Exception {
        HttpResponse<String> r = metrics("Authorization", "Bearer " + TOKEN);
        assertEquals(200, r.statusCode());
        assertTrue(r.body().contains("# TYPE chat_connections_open gauge"));
        assertEquals(200, metrics("Authorization", "bearer " + TOKEN).statusCode(), "the scheme is case-insensitive (RFC 7235)");
    }

    @Test
    void healthNeedsNoToken() throws Exception {
        assertEquals(200, server.get("health/ready").statusCode());
        assertEquals(200, server.get("health").statusCode());
    }

    @Test
    void theTokenIsNotInTheConfigTheStartLogPrints() {
        String printed = dev.chat.config.ChatConfig.load(Map.of("CHAT_METRICS_TOKEN", TOKEN), new java.util.Properties()).toString();
        assertFalse(printed.contains(TOKEN), printed);
        assertTrue(printed.contains("metricsToken=****"), printed);
    }
}
