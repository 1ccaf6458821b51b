package dev.chat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.chat.testing.JwksServer;
import dev.chat.testing.TestServer;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The embedded server with {@code CHAT_OIDC_ISSUER}: discovery at start, {@code api/auth} telling
 * the page how to sign in, and the page's policy allowing the provider's token endpoint, nothing more.
 * (The sign-in itself, against a real Keycloak: {@code KeycloakIT}.)
 */
@Timeout(60)
class ProviderInThePageTest {
    private static JwksServer idp;
    private static TestServer server;

    @BeforeAll
    static void start() {
        idp = JwksServer.start();
        server = TestServer.start(Map.of(
                "CHAT_OIDC_ISSUER", idp.oidcIssuer().toString(),
                "CHAT_OIDC_CLIENT_ID", "chat-web",
                "CHAT_OIDC_NAME", "Acme ID",
                "CHAT_JWT_USER_CLAIM", "preferred_username"));
    }

    @AfterAll
    static void stop() {
        server.close();
        idp.close();
    }

    @Test
    void apiAuthNamesTheDiscoveredEndpointsAndThePublicClient() throws Exception {
        HttpResponse<String> r = server.get("api/auth");
        assertEquals(200, r.statusCode());
        String iss = idp.oidcIssuer().toString();
        assertEquals(Map.of("localAccounts", false, "registration", false, "provider", Map.of(
                "name", "Acme ID", "issuer", iss, "clientId", "chat-web",
                "authorizationEndpoint", iss + "/auth", "tokenEndpoint", iss + "/token", "endSessionEndpoint", iss + "/logout",
                "userClaim", "preferred_username")), TestServer.json(r.body()));
    }

    @Test
    void thePagesPolicyAllowsTheTokenEndpointsOriginAndNoOther() throws Exception {
        String origin = "http://127.0.0.1:" + idp.oidcIssuer().getPort();
        for (String path : new String[] {"", "app.js"}) {
            assertEquals("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                    + "connect-src 'self' " + origin + "; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
                    server.get(path).headers().firstValue("Content-Security-Policy").orElse(null));
        }
    }

    @Test
    void localLoginIsOffBesideTheProvider() throws Exception {
        HttpResponse<String> r = server.post("api/login", TestServer.credentials("carol", "password-1"));
        assertEquals(403, r.statusCode());
        assertFalse(r.body().contains("token"));
    }
}
