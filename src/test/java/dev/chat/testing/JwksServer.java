package dev.chat.testing;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test identity provider: keys generated here (RSA 2048, EC P-256), their public halves served as a
 * real JWKS over HTTP on 127.0.0.1 (JDK {@link HttpServer}), and tokens signed with them. Keys can be
 * added while running (rotation); {@link #fetches} counts how often the set was downloaded.
 */
public final class JwksServer implements AutoCloseable {
    public static final String ISSUER = "https://id.test.example";
    public static final String AUDIENCE = "chat-test";

    private final HttpServer http;
    private final List<JWK> keys = new CopyOnWriteArrayList<>();
    private final AtomicInteger fetches = new AtomicInteger();

    private JwksServer(HttpServer http) {
        this.http = http;
    }

    public static JwksServer start() {
        try {
            HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            JwksServer server = new JwksServer(http);
            http.createContext("/jwks.json", exchange -> {
                server.fetches.incrementAndGet();
                byte[] body = new JWKSet(List.copyOf(server.keys)).toPublicJWKSet().toString()
                        .getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            });
            // an OpenID Connect issuer too (CHAT_OIDC_ISSUER = oidcIssuer()): its discovery document names the JWKS above
            http.createContext("/realm/.well-known/openid-configuration", exchange -> {
                String issuer = server.oidcIssuer().toString();
                byte[] body = ("{\"issuer\":\"" + issuer + "\",\"jwks_uri\":\"" + server.url()
                        + "\",\"authorization_endpoint\":\"" + issuer + "/auth\",\"token_endpoint\":\"" + issuer
                        + "/token\",\"end_session_endpoint\":\"" + issuer + "/logout\"}").getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            });
            // where the page sends the browser to sign in: a page that only says where it is
            // (the flow itself is Keycloak's, in KeycloakBrowserIT)
            http.createContext("/realm/auth", exchange -> {
                byte[] body = "<!doctype html><link rel=icon href=\"data:,\"><title>sign-in</title><p>the provider's sign-in".getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            });
            http.start();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The issuer whose discovery document this server serves (no tokens of it are signed here: they carry {@link #ISSUER}). */
    public URI oidcIssuer() {
        return URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/realm");
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/jwks.json");
    }

    /** A new RSA 2048 key, published in the JWKS from now on. */
    public RSAKey addRsaKey(String kid) {
        try {
            RSAKey key = new RSAKeyGenerator(2048).keyID(kid).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.RS256).generate();
            keys.add(key);
            return key;
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A new EC P-256 key, published in the JWKS from now on. */
    public ECKey addEcKey(String kid) {
        try {
            ECKey key = new ECKeyGenerator(Curve.P_256).keyID(kid).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.ES256).generate();
            keys.add(key);
            return key;
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An RSA key that is never published (a forger's). */
    public static RSAKey unpublishedRsaKey(String kid) {
        try {
            return new RSAKeyGenerator(2048).keyID(kid).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    public int fetches() {
        return fetches.get();
    }

    /** Signs the claims with the key: RS256 for an RSA key, ES256 for an EC key; the header names its kid. */
    public static String sign(JWK key, JWTClaimsSet claims) {
        try {
            boolean rsa = key instanceof RSAKey;
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(rsa ? JWSAlgorithm.RS256 : JWSAlgorithm.ES256)
                    .keyID(key.getKeyID()).type(JOSEObjectType.JWT).build(), claims);
            jwt.sign(rsa ? new RSASSASigner((RSAKey) key) : new ECDSASigner((ECKey) key));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        http.stop(0);
    }
}
