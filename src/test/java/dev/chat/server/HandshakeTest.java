package dev.chat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.chat.auth.JwtTokenIssuer;
import dev.chat.auth.Principal;
import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Nobody gets a usable session without a valid token from an allowed page: each bad handshake is
 * closed with its code before any other frame (or refused before the upgrade).
 */
@Timeout(60)
class HandshakeTest {
    private static TestServer server;
    private static String token;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start();
        token = server.token("hs-alice");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** Connects and expects a close with {@code code} as the very first thing the server sends. */
    private static void assertClosedBeforeAnyFrame(int code, String token, Map<String, String> headers) throws Exception {
        try (WsClient client = WsClient.connect(server.ws(token), headers)) {
            WsClient.assertCode(code, client);
            assertTrue(client.drain().isEmpty(), "no frame may precede the close");
        }
    }

    @Test
    void aValidTokenInTheQueryGetsTheWelcome() throws Exception {
        try (WsClient client = WsClient.connect(server.ws(token), Map.of("Origin", server.origin()))) {
            Map<String, Object> welcome = client.expect("welcome");
            assertEquals("hs-alice", welcome.get("user"));
            assertEquals(1, ((Number) welcome.get("protocol")).intValue());
        }
    }

    @Test
    void aBearerHeaderWorksWithoutOrigin() throws Exception {
        try (WsClient client = WsClient.connect(server.ws(null), Map.of("Authorization", "Bearer " + token))) {
            assertEquals("hs-alice", client.welcome());
        }
    }

    @Test
    void noTokenIsClosed4500() throws Exception {
        assertClosedBeforeAnyFrame(4500, null, Map.of());
    }

    @Test
    void garbageTokenIsClosed4500() throws Exception {
        assertClosedBeforeAnyFrame(4500, "not.a.jwt", Map.of());
        assertClosedBeforeAnyFrame(4500, null, Map.of("Authorization", "Bearer x" + token));
    }

    @Test
    void forgedTokenIsClosed4500() throws Exception {
        assertClosedBeforeAnyFrame(4500, sign("hs-alice", "user", "another-secret-another-secret-0123456789",
                Instant.now().plusSeconds(600)), Map.of());
    }

    @Test
    void algNoneTokenIsClosed4500() throws Exception {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        long exp = Instant.now().plusSeconds(600).getEpochSecond();
        String none = b64.encodeToString("{\"alg\":\"none\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(("{\"sub\":\"hs-alice\",\"role\":\"user\",\"exp\":" + exp + "}")
                        .getBytes(StandardCharsets.UTF_8)) + ".";
        assertClosedBeforeAnyFrame(4500, none, Map.of());
    }

    @Test
    void expiredTokenIsClosed4501() throws Exception {
        Clock twoHoursAgo = Clock.fixed(Instant.now().minus(Duration.ofHours(2)), ZoneOffset.UTC);
        String expired = new JwtTokenIssuer(TestServer.SECRET.getBytes(StandardCharsets.UTF_8), Duration.ofHours(1), twoHoursAgo)
                .issue("hs-alice", Principal.ROLE_USER).token();
        assertClosedBeforeAnyFrame(4501, expired, Map.of());
    }

    @Test
    void tokenOfAnUnknownUserIsClosed4500() throws Exception {
        assertClosedBeforeAnyFrame(4500, sign("never-registered", "user", TestServer.SECRET,
                Instant.now().plusSeconds(600)), Map.of());
    }

    @Test
    void foreignOriginIsClosed4502() throws Exception {
        assertClosedBeforeAnyFrame(4502, token, Map.of("Origin", "http://evil.example"));
        // same host, other port: another origin
        assertClosedBeforeAnyFrame(4502, token, Map.of("Origin", "http://127.0.0.1:1"));
    }

    @Test
    void nullOriginIsRefusedBeforeTheUpgrade() {
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> WsClient.connect(server.ws(token), Map.of("Origin", "null")));
        assertTrue(e.getCause() instanceof WebSocketHandshakeException, e.toString());
        assertEquals(403, ((WebSocketHandshakeException) e.getCause()).getResponse().statusCode());
    }

    private static String sign(String user, String role, String secret, Instant exp) throws Exception {
        JWTClaimsSet claims = new JWTClaimsSet.Builder().subject(user).claim("role", role)
                .issueTime(new Date()).expirationTime(Date.from(exp)).build();
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
        return jwt.serialize();
    }
}
