package dev.chat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.chat.testing.ServerApiClient;
import dev.chat.testing.TestServer;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Where the server API exists and answers: only with keys, only to the allowed addresses (one node each, in turn). */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ServerApiAccessTest {

    @Test
    void withoutKeysTheServerApiDoesNotExist() throws Exception {
        try (TestServer plain = TestServer.start()) {
            HttpResponse<String> r = ServerApiClient.of(plain.base()).get("users/alice");
            assertEquals(404, r.statusCode(), r::body);
        }
    }

    @Test
    void aClientOutsideTheAllowedAddressesIsRefusedEvenWithAGoodKey() throws Exception {
        try (TestServer fenced = TestServer.start(Map.of("CHAT_API_KEYS", ServerApiClient.KEYS, "CHAT_API_ALLOWED_ADDRESSES", "10.0.0.0/8"))) {
            HttpResponse<String> r = ServerApiClient.of(fenced.base()).get("users/alice");
            assertEquals(403, r.statusCode(), r::body);
            assertEquals("forbidden", ServerApiClient.json(r).get("code"));
        }
        try (TestServer open = TestServer.start(Map.of("CHAT_API_KEYS", ServerApiClient.KEYS, "CHAT_API_ALLOWED_ADDRESSES", "127.0.0.0/8"))) {
            HttpResponse<String> r = ServerApiClient.of(open.base()).get("users/alice");
            assertEquals(404, r.statusCode(), r::body);
            assertEquals("no_such_user", ServerApiClient.json(r).get("code"), "past the address check: the user is unknown");
        }
    }
}
