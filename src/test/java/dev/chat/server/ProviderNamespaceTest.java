package dev.chat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.chat.testing.JwksServer;
import dev.chat.testing.SeededUsers;
import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** One name, one identity, beside an identity provider with the defaults (local accounts off). */
@Timeout(60)
class ProviderNamespaceTest {
    private static JWTClaimsSet claims(String user) {
        Instant now = Instant.now();
        return new JWTClaimsSet.Builder().subject(user).issuer(JwksServer.ISSUER).audience(JwksServer.AUDIENCE)
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(600))).build();
    }

    /**
     * The attack: with registration open beside the provider, registering the local account
     * "carol" and asking for the history with "dave" returned Keycloak-dave's messages to
     * Keycloak-carol. By default beside a provider local accounts are off altogether.
     */
    @Test
    void besideAProviderLocalAccountsAreOffByDefaultSoNobodyCanSquatAProvidersName() throws Exception {
        try (JwksServer idp = JwksServer.start();
             TestServer providerOnly = TestServer.start(Map.of("CHAT_JWT_JWKS_URL", idp.url().toString(),
                "CHAT_JWT_ISSUER", JwksServer.ISSUER, "CHAT_JWT_AUDIENCE", JwksServer.AUDIENCE),
                SeededUsers.create("idp-old-local").dataDir())) {
            RSAKey key = idp.addRsaKey("ns-1");
            WsClient dave = WsClient.connect(providerOnly.ws(JwksServer.sign(key, claims("sq-dave"))),
                    Map.of("Origin", providerOnly.origin()));
            WsClient carol = WsClient.connect(providerOnly.ws(JwksServer.sign(key, claims("sq-carol"))),
                    Map.of("Origin", providerOnly.origin()));
            try (dave; carol) {
                dave.welcome();
                carol.welcome();
                dave.send(Map.of("type", "send", "to", "sq-carol", "text", "for carol only", "id", "d1"));
                dave.expect("ack");
            }
            java.net.http.HttpResponse<String> squat = providerOnly.post("api/register", TestServer.credentials("sq-carol", "password-squatter"));
            assertEquals(403, squat.statusCode(), squat::body);
            assertEquals("local accounts are off: sign in with the identity provider", TestServer.json(squat.body()).get("error"));
            assertEquals(403, providerOnly.post("api/register", TestServer.credentials("sq-new", "password-new")).statusCode());
            assertEquals(403, providerOnly.post("api/login", TestServer.credentials("idp-old-local", "password-idp-old-local")).statusCode());
            try (WsClient old = WsClient.connect(providerOnly.ws(SeededUsers.token("idp-old-local")), Map.of("Origin", providerOnly.origin()))) {
                WsClient.assertCode(4500, old);
            }
            try (WsClient forged = WsClient.connect(providerOnly.ws(SeededUsers.token("sq-carol")), Map.of("Origin", providerOnly.origin()))) {
                WsClient.assertCode(4500, forged); // our own key's token for the provider's user: refused too
            }
        }
    }

}
