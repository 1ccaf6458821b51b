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
 * A session that outlived {@code CHAT_SESSION_TTL} refreshes no more, and behind a trusted proxy that
 * says the request was HTTPS the cookie is {@code Secure}: a server of its own, with 2 s sessions and
 * 127.0.0.1 as a trusted proxy.
 */
@Timeout(60)
class SessionExpiryTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("CHAT_SESSION_TTL", "2s", "CHAT_TOKEN_TTL", "1s", "CHAT_TRUSTED_PROXIES", "127.0.0.1"),
                SeededUsers.create("kim", "lou").dataDir());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static HttpResponse<String> post(String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.base().resolve(path)).header("Content-Type", "application/json");
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(b.POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String setCookie(HttpResponse<String> r) {
        return r.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith("chat_refresh=")).findFirst().orElseThrow();
    }

    @Test
    void anExpiredSessionIs401() throws Exception {
        String set = setCookie(post("api/login", TestServer.credentials("kim", "password-kim")));
        String cookie = set.substring("chat_refresh=".length(), set.indexOf(';'));
        assertEquals(200, post("api/refresh", "{}", "Origin", server.origin(), "Cookie", "chat_refresh=" + cookie).statusCode());
        Thread.sleep(2_300);
        HttpResponse<String> late = post("api/refresh", "{}", "Origin", server.origin(), "Cookie", "chat_refresh=" + cookie);
        assertEquals(401, late.statusCode(), late::body);
    }

    @Test
    void theCookieIsSecureWhenATrustedProxySaysTheRequestWasHttps() throws Exception {
        String set = setCookie(post("api/login", TestServer.credentials("lou", "password-lou"), "X-Forwarded-Proto", "https"));
        assertTrue(List.of(set.split(";\\s*")).contains("Secure"), set);
    }

    @Test
    void aForwardedHeaderIsNotReadUnlessTheProxiesAreSaidToWriteIt() throws Exception {
        String plain = setCookie(post("api/login", TestServer.credentials("lou", "password-lou"), "Forwarded", "for=198.51.100.7;proto=https"));
        assertFalse(List.of(plain.split(";\\s*")).contains("Secure"), "a client's own Forwarded header passed on says nothing: " + plain);
    }
}
