package dev.chat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.SeededUsers;
import dev.chat.testing.TestServer;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Behind proxies that write RFC 7239's {@code Forwarded} ({@code CHAT_FORWARDED_HEADER=Forwarded},
 * 127.0.0.1 trusted): its {@code proto} makes the cookie {@code Secure}, its {@code for} is the
 * address the login throttle counts, and the {@code X-Forwarded-*} headers are not read at all.
 */
@Timeout(60)
class ForwardedHeaderTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("CHAT_TRUSTED_PROXIES", "127.0.0.1", "CHAT_FORWARDED_HEADER", "Forwarded",
                "CHAT_LOGIN_MAX_FAILURES_PER_USER", "2"), SeededUsers.create("max").dataDir());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static HttpResponse<String> login(String password, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.base().resolve("api/login")).header("Content-Type", "application/json");
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(b.POST(HttpRequest.BodyPublishers.ofString(TestServer.credentials("max", password))).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static List<String> cookie(HttpResponse<String> r) {
        return List.of(r.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith("chat_refresh=")).findFirst().orElseThrow()
                .split(";\\s*"));
    }

    @Test
    void theProxysProtoMakesTheCookieSecureAndXForwardedProtoIsNotRead() throws Exception {
        assertTrue(cookie(login("password-max", "Forwarded", "for=198.51.100.7;proto=https")).contains("Secure"));
        assertFalse(cookie(login("password-max", "Forwarded", "for=198.51.100.7;proto=http", "X-Forwarded-Proto", "https")).contains("Secure"));
    }

    @Test
    void failedLoginsCountTheForwardedForAddressNotTheXForwardedFor() throws Exception {
        String[] guesser = {"Forwarded", "for=\"[2001:db8::66]:4711\";proto=https", "X-Forwarded-For", "198.51.100.1"};
        assertEquals(401, login("wrong-1", guesser).statusCode());
        assertEquals(401, login("wrong-2", guesser).statusCode());
        assertEquals(429, login("password-max", guesser).statusCode(), "the guessing address is locked out for max");
        // the same X-Forwarded-For from another Forwarded address: not the guesser, so not locked
        assertEquals(200, login("password-max", "Forwarded", "for=198.51.100.1", "X-Forwarded-For", "198.51.100.1").statusCode());
    }
}
