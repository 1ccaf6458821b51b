package dev.chat.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Discovery of a provider at start: what is read from the document, what is refused, and the retries. */
@Timeout(30)
class OidcDiscoveryTest {
    private HttpServer http;
    private URI issuer;
    /** Answers before this many requests are 503 (a provider still starting). */
    private final AtomicInteger failFirst = new AtomicInteger();
    private final AtomicInteger requests = new AtomicInteger();
    private volatile String document;

    @BeforeEach
    void start() throws IOException {
        http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        issuer = URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/realms/acme");
        http.createContext("/realms/acme/.well-known/openid-configuration", exchange -> {
            boolean fail = requests.incrementAndGet() <= failFirst.get();
            byte[] body = (fail ? "starting" : document).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(fail ? 503 : 200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        http.start();
        document = keycloakLike(issuer.toString());
    }

    @AfterEach
    void stop() {
        http.stop(0);
    }

    private static String keycloakLike(String iss) {
        return "{\"issuer\":\"" + iss + "\",\"authorization_endpoint\":\"" + iss + "/protocol/openid-connect/auth\","
                + "\"token_endpoint\":\"" + iss + "/protocol/openid-connect/token\","
                + "\"jwks_uri\":\"" + iss + "/protocol/openid-connect/certs\","
                + "\"end_session_endpoint\":\"" + iss + "/protocol/openid-connect/logout\","
                + "\"code_challenge_methods_supported\":[\"plain\",\"S256\"]}";
    }

    @Test
    void theDocumentNamesTheKeysAndTheEndpointsThePageUses() {
        OidcEndpoints e = new OidcDiscovery(1, Duration.ZERO).discover(issuer);
        assertEquals(issuer, e.issuer());
        assertEquals(URI.create(issuer + "/protocol/openid-connect/certs"), e.jwksUri());
        assertEquals(URI.create(issuer + "/protocol/openid-connect/auth"), e.authorizationEndpoint());
        assertEquals(URI.create(issuer + "/protocol/openid-connect/token"), e.tokenEndpoint());
        assertEquals(URI.create(issuer + "/protocol/openid-connect/logout"), e.endSessionEndpoint());
        assertEquals("http://127.0.0.1:" + http.getAddress().getPort(), e.tokenEndpointOrigin());
    }

    @Test
    void aProviderStillStartingIsWaitedFor() {
        failFirst.set(2);
        OidcEndpoints e = new OidcDiscovery(3, Duration.ofMillis(10)).discover(issuer);
        assertEquals(3, requests.get());
        assertEquals(issuer, e.issuer());
    }

    @Test
    void aProviderThatNeverAnswersFailsTheStartSayingWhy() {
        failFirst.set(100);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new OidcDiscovery(3, Duration.ofMillis(10)).discover(issuer));
        assertEquals("CHAT_OIDC_ISSUER: discovery at " + issuer + "/.well-known/openid-configuration failed 3 times, last: HTTP 503;"
                + " the node does not start without its provider", e.getMessage());
        assertEquals(3, requests.get());
    }

    @Test
    void aDocumentOfAnotherIssuerIsRefused() {
        document = keycloakLike("https://evil.example.com/realms/acme");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new OidcDiscovery(1, Duration.ZERO).discover(issuer));
        assertTrue(e.getMessage().endsWith("last: its issuer https://evil.example.com/realms/acme is not " + issuer
                + "; the node does not start without its provider"), e.getMessage());
    }

    @Test
    void requiredEndpointsMustBeThereAndHttp() {
        String iss = issuer.toString();
        assertEquals("token_endpoint is missing", assertThrows(IllegalArgumentException.class, () -> OidcEndpoints.parse(issuer,
                keycloakLike(iss).replace("\"token_endpoint\"", "\"other\""))).getMessage());
        assertEquals("jwks_uri is not an http(s) URL: file:///etc/passwd", assertThrows(IllegalArgumentException.class,
                () -> OidcEndpoints.parse(issuer, keycloakLike(iss).replace(iss + "/protocol/openid-connect/certs", "file:///etc/passwd")))
                .getMessage());
        assertNull(OidcEndpoints.parse(issuer, keycloakLike(iss).replace("\"end_session_endpoint\"", "\"other\"")).endSessionEndpoint(),
                "a provider without RP-initiated logout: sign-out ends only our tab's tokens");
    }

    @Test
    void theDocumentIsBelowTheIssuerWithOrWithoutATrailingSlash() {
        assertEquals(URI.create("https://id.example.com/.well-known/openid-configuration"), OidcEndpoints.documentOf(URI.create("https://id.example.com/")));
        assertEquals(URI.create("https://id.example.com/r/.well-known/openid-configuration"), OidcEndpoints.documentOf(URI.create("https://id.example.com/r")));
    }
}
