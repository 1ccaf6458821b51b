package dev.chat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.chat.testing.JwksServer;
import dev.chat.testing.SeededUsers;
import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The embedded server configured with an identity provider whose JWKS is served over HTTP by the
 * test: its RS256 and ES256 tokens connect (users unknown to our store included), keys rotated in
 * after start are picked up, and each attack is closed with its code before any frame.
 */
@Timeout(60)
class IdentityProviderHandshakeTest {
    private static JwksServer idp;
    private static RSAKey rsa;
    private static ECKey ec;
    private static TestServer server;

    @BeforeAll
    static void start() {
        idp = JwksServer.start();
        rsa = idp.addRsaKey("rsa-1");
        ec = idp.addEcKey("ec-1");
        server = TestServer.start(Map.of(
                "CHAT_JWT_JWKS_URL", idp.url().toString(),
                "CHAT_JWT_ISSUER", JwksServer.ISSUER,
                "CHAT_JWT_AUDIENCE", JwksServer.AUDIENCE,
                "CHAT_JWT_LEEWAY", "30s",
                "CHAT_LOCAL_ACCOUNTS", "true"), SeededUsers.create("idp-registered").dataDir()); // both kinds, one namespace
    }

    @AfterAll
    static void stop() {
        server.close();
        idp.close();
    }

    private static JWTClaimsSet.Builder claims(String user) {
        Instant now = Instant.now();
        return new JWTClaimsSet.Builder().subject(user).issuer(JwksServer.ISSUER).audience(JwksServer.AUDIENCE)
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(600)));
    }

    private static void assertWelcomed(String user, String token) throws Exception {
        try (WsClient client = WsClient.connect(server.ws(token), Map.of("Origin", server.origin()))) {
            assertEquals(user, client.welcome());
            client.join("idp-room"); // and the connection is usable
        }
    }

    private static void assertClosedBeforeAnyFrame(int code, String token) throws Exception {
        try (WsClient client = WsClient.connect(server.ws(token), Map.of("Origin", server.origin()))) {
            WsClient.assertCode(code, client);
            assertTrue(client.drain().isEmpty(), "no frame may precede the close");
        }
    }

    /** A provider's user is known once connected: local users can message them, and no local account can take the name. */
    @Test
    void aProviderUserWhoConnectedCanBeMessagedAndTheNameCannotBeRegistered() throws Exception {
        try (WsClient dave = WsClient.connect(server.ws(JwksServer.sign(rsa, claims("idp-dave").build())), Map.of("Origin", server.origin()));
             WsClient local = server.client(SeededUsers.token("idp-registered"))) {
            assertEquals("idp-dave", dave.welcome());
            local.send(Map.of("type", "send", "to", "idp-dave", "text", "hi dave", "id", "d1"));
            assertEquals("ack", local.expect("ack").get("type"));
            assertEquals("hi dave", dave.expect("message").get("text"));
            local.send(Map.of("type", "send", "to", "idp-never-seen", "text", "hi?", "id", "d2"));
            assertEquals("no_such_user", local.expect("error").get("code"));
        }
        assertEquals(409, server.post("api/register", TestServer.credentials("idp-dave", "password-of-a-squatter")).statusCode());
    }

    /** With CHAT_LOCAL_ACCOUNTS=true both kinds live in one namespace, and a name belongs to whichever came first. */
    @Test
    void withLocalAccountsOnANameBelongsToWhicheverKindHadItFirst() throws Exception {
        assertEquals(201, server.post("api/register", TestServer.credentials("idp-mixed-carol", "password-local-carol")).statusCode());
        assertClosedBeforeAnyFrame(4500, JwksServer.sign(rsa, claims("idp-mixed-carol").build()));
        assertWelcomed("idp-mixed-dave", JwksServer.sign(rsa, claims("idp-mixed-dave").build()));
        assertEquals(409, server.post("api/register", TestServer.credentials("idp-mixed-dave", "password-squatter")).statusCode());
    }

    @Test
    void rs256TokenOfAUserUnknownHereConnects() throws Exception {
        assertWelcomed("idp-carol", JwksServer.sign(rsa, claims("idp-carol").build()));
    }

    @Test
    void es256TokenConnects() throws Exception {
        assertWelcomed("idp-dave", JwksServer.sign(ec, claims("idp-dave").build()));
    }

    @Test
    void ourOwnTokensStillConnect() throws Exception {
        assertWelcomed("idp-registered", SeededUsers.token("idp-registered"));
    }

    @Test
    void aKeyPublishedAfterStartIsAccepted() throws Exception {
        assertWelcomed("idp-erin", JwksServer.sign(rsa, claims("idp-erin").build())); // the set is cached by now
        RSAKey rotated = idp.addRsaKey("rsa-2-" + System.nanoTime());
        assertWelcomed("idp-frank", JwksServer.sign(rotated, claims("idp-frank").build()));
    }

    @Test
    void algorithmConfusionIsClosed4500() throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("rsa-1").build(),
                claims("idp-registered").claim("role", "admin").build());
        jwt.sign(new MACSigner(rsa.toRSAPublicKey().getEncoded()));
        assertClosedBeforeAnyFrame(4500, jwt.serialize());
    }

    @Test
    void algNoneIsClosed4500() throws Exception {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String none = b64.encodeToString("{\"alg\":\"none\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(claims("idp-carol").build().toString().getBytes(StandardCharsets.UTF_8)) + ".";
        assertClosedBeforeAnyFrame(4500, none);
    }

    @Test
    void wrongIssuerIsClosed4500() throws Exception {
        assertClosedBeforeAnyFrame(4500, JwksServer.sign(rsa, claims("idp-carol").issuer("https://evil.example").build()));
    }

    @Test
    void wrongAudienceIsClosed4500() throws Exception {
        assertClosedBeforeAnyFrame(4500, JwksServer.sign(ec, claims("idp-carol").audience("other-app").build()));
    }

    @Test
    void expiredBeyondTheLeewayIsClosed4501() throws Exception {
        Instant now = Instant.now();
        assertClosedBeforeAnyFrame(4501, JwksServer.sign(rsa, claims("idp-carol")
                .issueTime(Date.from(now.minusSeconds(700))).expirationTime(Date.from(now.minusSeconds(100))).build()));
    }

    @Test
    void expiredWithinTheLeewayConnects() throws Exception {
        Instant now = Instant.now();
        assertWelcomed("idp-carol", JwksServer.sign(rsa, claims("idp-carol")
                .issueTime(Date.from(now.minusSeconds(600))).expirationTime(Date.from(now.minusSeconds(5))).build()));
    }

    @Test
    void notBeforeBeyondTheLeewayIsClosed4500() throws Exception {
        assertClosedBeforeAnyFrame(4500, JwksServer.sign(rsa, claims("idp-carol")
                .notBeforeTime(Date.from(Instant.now().plus(Duration.ofMinutes(5)))).build()));
    }

    @Test
    void ourOwnTokenForAUserThatDoesNotExistIsClosed4500() throws Exception {
        assertClosedBeforeAnyFrame(4500, SeededUsers.token("never-registered"));
    }

    @Test
    void aForgedProviderTokenIsClosed4500() throws Exception {
        assertClosedBeforeAnyFrame(4500, JwksServer.sign(JwksServer.unpublishedRsaKey("rsa-1"), claims("idp-carol").build()));
    }
}
