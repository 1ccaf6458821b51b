package dev.chat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jwt.SignedJWT;
import dev.chat.auth.JwtTokenIssuer;
import dev.chat.auth.Principal;
import dev.chat.testing.SeededUsers;
import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An open connection lives as long as its token: closed with 4501 at the token's expiry (checked by
 * the heartbeat, every 200 ms here, with no leeway), unless a {@code refresh} with a newer token of
 * the same user came first. Refused refreshes leave the old expiry in force.
 */
@Timeout(60)
class TokenExpiryTest {
    /**
     * How late a close may come after exp: each connection has its own timer, so within 1 s (it
     * came up to a ping interval, 25 s, late when the heartbeat found it).
     */
    private static final Duration CLOSE_WITHIN = Duration.ofMillis(1_000);
    private static final JwtTokenIssuer SHORT = new JwtTokenIssuer(TestServer.SECRET.getBytes(StandardCharsets.UTF_8),
            Duration.ofSeconds(2), Clock.systemUTC());
    private static TestServer server;

    @BeforeAll
    static void start() {
        // the default ping interval (25 s): the close must not wait for the heartbeat
        server = TestServer.start(Map.of("CHAT_JWT_LEEWAY", "0s"), SeededUsers.create("exp-alice", "exp-bob", "exp-carol", "exp-dave").dataDir());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static String shortToken(String user) {
        return SHORT.issue(user, Principal.ROLE_USER).token();
    }

    private static Instant expiry(String token) throws Exception {
        return SignedJWT.parse(token).getJWTClaimsSet().getExpirationTime().toInstant();
    }

    /** Waits for the close and checks it came with 4501 no earlier than {@code exp} and not much later. */
    private static void assertClosedAtExpiry(WsClient client, Instant exp) throws Exception {
        int code = client.awaitClose();
        Instant closedAt = Instant.now();
        assertEquals(4501, code, client::closeReason);
        assertEquals("token_expired", client.closeReason());
        assertFalse(closedAt.isBefore(exp.minusMillis(50)), () -> "closed at " + closedAt + ", before exp " + exp);
        assertTrue(closedAt.isBefore(exp.plus(CLOSE_WITHIN)), () -> "closed at " + closedAt + ", exp " + exp);
    }

    @Test
    void aConnectionIsClosed4501AtItsTokensExpiry() throws Exception {
        String token = shortToken("exp-alice");
        try (WsClient client = server.client(token)) {
            assertClosedAtExpiry(client, expiry(token));
        }
    }

    @Test
    void aRefreshWithANewerTokenOfTheSameUserKeepsTheConnectionOpen() throws Exception {
        String token = shortToken("exp-bob");
        try (WsClient client = server.client(token)) {
            client.join("exp-room");
            String fresh = SeededUsers.token("exp-bob");
            client.send(Map.of("type", "refresh", "token", fresh, "id", "f-1"));
            Map<String, Object> refreshed = client.expect("refreshed");
            assertEquals("f-1", refreshed.get("id"));
            assertEquals(expiry(fresh), Instant.parse((String) refreshed.get("expiresAt")));

            Thread.sleep(Duration.between(Instant.now(), expiry(token)).plus(CLOSE_WITHIN).toMillis());
            assertFalse(client.isClosed(), "closed despite the refresh");
            client.say("exp-room", "still here");
        }
    }

    @Test
    void aRefreshWithAShortTokenMovesTheCloseToItsExpiry() throws Exception {
        String token = shortToken("exp-dave");
        try (WsClient client = server.client(token)) {
            String later = new JwtTokenIssuer(TestServer.SECRET.getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(4), Clock.systemUTC())
                    .issue("exp-dave", Principal.ROLE_USER).token();
            client.send(Map.of("type", "refresh", "token", later, "id", "f-2"));
            assertEquals("f-2", client.expect("refreshed").get("id"));
            assertClosedAtExpiry(client, expiry(later));
        }
    }

    @Test
    void anotherUsersTokenIsRefusedAndTheOldExpiryStands() throws Exception {
        String token = shortToken("exp-carol");
        try (WsClient client = server.client(token)) {
            client.send(Map.of("type", "refresh", "token", SeededUsers.token("exp-dave"), "id", "f-2"));
            Map<String, Object> error = client.expect("error");
            assertEquals("unauthorized", error.get("code"));
            assertEquals("f-2", error.get("id"));
            assertClosedAtExpiry(client, expiry(token));
        }
    }

    @Test
    void anInvalidTokenIsRefusedAndTheOldExpiryStands() throws Exception {
        String token = shortToken("exp-dave");
        try (WsClient client = server.client(token)) {
            String forged = token.substring(0, token.lastIndexOf('.') + 1) + "AAAA";
            for (String bad : new String[] {"garbage", forged, SeededUsers.token("nobody-here")}) {
                client.send(Map.of("type", "refresh", "token", bad, "id", "f-3"));
                Map<String, Object> error = client.expect("error");
                assertEquals("unauthorized", error.get("code"), bad);
                assertEquals("f-3", error.get("id"));
            }
            assertClosedAtExpiry(client, expiry(token));
        }
    }
}
