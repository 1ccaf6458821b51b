package dev.chat.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.chat.testing.JwksServer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Tokens of an external identity provider (RS256, ES256) against a real JWKS served over HTTP by
 * the test, with a fixed clock; and the attacks on mixing them with our own HS256 tokens.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ExternalTokenVerifierTest {
    private static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    private static final Instant NOW = Instant.parse("2025-06-01T12:00:00Z");
    private static final Duration LEEWAY = Duration.ofSeconds(30);
    private static final Duration TTL = Duration.ofMinutes(10);

    private static JwksServer idp;
    private static RSAKey rsa;
    private static ECKey ec;
    private final JwtTokenVerifierTest.MemoryUserStore users = new JwtTokenVerifierTest.MemoryUserStore();

    @BeforeAll
    static void startProvider() {
        idp = JwksServer.start();
        rsa = idp.addRsaKey("rsa-1");
        ec = idp.addEcKey("ec-1");
    }

    @AfterAll
    static void stopProvider() {
        idp.close();
    }

    ExternalTokenVerifierTest() {
        users.create("alice", "hash-a");
    }

    private static IdentityProvider provider(String claim) {
        return IdentityProvider.remote(idp.url(), JwksServer.ISSUER, JwksServer.AUDIENCE, claim);
    }

    private JwtTokenVerifier verifierAt(Instant instant) {
        return new JwtTokenVerifier(KEY, users, LEEWAY, provider("sub"), Clock.fixed(instant, ZoneOffset.UTC));
    }

    private static JWTClaimsSet.Builder claims(String user) {
        return new JWTClaimsSet.Builder()
                .subject(user)
                .issuer(JwksServer.ISSUER)
                .audience(JwksServer.AUDIENCE)
                .issueTime(Date.from(NOW))
                .expirationTime(Date.from(NOW.plus(TTL)));
    }

    private TokenRejectedException rejectedAt(Instant at, String token) {
        return assertThrows(TokenRejectedException.class, () -> verifierAt(at).verify(token));
    }

    private TokenRejectedException rejected(String token) {
        return rejectedAt(NOW, token);
    }

    @Test
    void rs256TokenOfAnUnregisteredUserIsAcceptedAsUser() throws Exception {
        Principal p = verifierAt(NOW).verify(JwksServer.sign(rsa, claims("idp-carol").build()));
        assertEquals(new Principal("idp-carol", Principal.ROLE_USER, NOW.plus(TTL)), p);
    }

    @Test
    void es256TokenIsAccepted() throws Exception {
        assertEquals("idp-dave", verifierAt(NOW).verify(JwksServer.sign(ec, claims("idp-dave").build())).user());
    }

    @Test
    void roleClaimIsCarriedThrough() throws Exception {
        String token = JwksServer.sign(rsa, claims("idp-root").claim("role", "admin").build());
        assertEquals(Principal.ROLE_ADMIN, verifierAt(NOW).verify(token).role());
    }

    @Test
    void anUnknownRoleIsIgnoredNotFatalAndNeverAdmin() throws Exception {
        assertEquals(Principal.ROLE_USER, verifierAt(NOW).verify(
                JwksServer.sign(rsa, claims("idp-carol").claim("role", "superuser").build())).role());
        assertEquals(Principal.ROLE_USER, verifierAt(NOW).verify(
                JwksServer.sign(rsa, claims("idp-carol").claim("role", Map.of("admin", true)).build())).role(), "not a string");
        assertEquals(Principal.ROLE_ADMIN, verifierAt(NOW).verify(
                JwksServer.sign(rsa, claims("idp-carol").claim("role", "admin").build())).role());
    }

    /** Keycloak's realm roles mapped to a role array once refused the user outright (4500). */
    @Test
    void rolesComeFromAConfiguredClaimPathHoldingAStringOrAnArray() throws Exception {
        JwtTokenVerifier keycloak = new JwtTokenVerifier(KEY, users, LEEWAY,
                IdentityProvider.remote(idp.url(), JwksServer.ISSUER, JwksServer.AUDIENCE, "sub", "realm_access.roles",
                        java.util.Set.of("chat-admin", "ops")), Clock.fixed(NOW, ZoneOffset.UTC));
        java.util.function.Function<Object, String> role = roles -> {
            try {
                return keycloak.verify(JwksServer.sign(rsa, claims("idp-kc").claim("realm_access", Map.of("roles", roles)).build())).role();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        };
        assertEquals(Principal.ROLE_ADMIN, role.apply(java.util.List.of("offline_access", "uma_authorization", "chat-admin")));
        assertEquals(Principal.ROLE_ADMIN, role.apply("ops"));
        assertEquals(Principal.ROLE_USER, role.apply(java.util.List.of("offline_access", "admin")), "only the configured admin roles");
        assertEquals(Principal.ROLE_USER, role.apply(java.util.List.of()));
        assertEquals(Principal.ROLE_USER, keycloak.verify(JwksServer.sign(rsa, claims("idp-kc").build())).role(), "no roles at all");
        JwtTokenVerifier auth0 = new JwtTokenVerifier(KEY, users, LEEWAY,
                IdentityProvider.remote(idp.url(), JwksServer.ISSUER, JwksServer.AUDIENCE, "sub", "https://chat.example.com/roles",
                        java.util.Set.of("admin")), Clock.fixed(NOW, ZoneOffset.UTC));
        assertEquals(Principal.ROLE_ADMIN, auth0.verify(JwksServer.sign(rsa, claims("idp-a0")
                .claim("https://chat.example.com/roles", java.util.List.of("admin")).build())).role(), "a claim named with dots is a claim first");
    }

    @Test
    void theConfiguredUserClaimNamesTheUser() throws Exception {
        JwtTokenVerifier verifier = new JwtTokenVerifier(KEY, users, LEEWAY, provider("preferred_username"),
                Clock.fixed(NOW, ZoneOffset.UTC));
        String token = JwksServer.sign(rsa, claims("3f2a-uuid-like-subject").claim("preferred_username", "erin").build());
        assertEquals("erin", verifier.verify(token).user());
        String without = JwksServer.sign(rsa, claims("erin").build());
        assertThrows(TokenRejectedException.class, () -> verifier.verify(without));
    }

    @Test
    void userNameOutsideTheAllowedPatternIsRejected() {
        assertEquals("user claim sub missing or not a valid user name: it is longer than 64 characters",
                rejected(JwksServer.sign(rsa, claims("x".repeat(65)).build())).getMessage());
        assertEquals("user claim sub missing or not a valid user name: it contains a format character (U+202E)",
                rejected(JwksServer.sign(rsa, claims("erin\u202Emoc.elpmaxe").build())).getMessage());
        rejected(JwksServer.sign(rsa, claims("a\nb").build()));
        rejected(JwksServer.sign(rsa, claims("@server").build()));
        rejected(JwksServer.sign(rsa, claims(null).build()));
    }

    @Test
    void anEmailOrAnyPrintableNameOfUpTo64CharactersIsAProviderUser() throws Exception {
        assertEquals("carol@example.com", verifierAt(NOW).verify(JwksServer.sign(rsa, claims("carol@example.com").build())).user());
        assertEquals(dev.chat.testing.Names.UNICODE_64,
                verifierAt(NOW).verify(JwksServer.sign(rsa, claims(dev.chat.testing.Names.UNICODE_64).build())).user());
    }

    @Test
    void wrongIssuerIsRejected() {
        assertFalse(rejected(JwksServer.sign(rsa, claims("idp-carol").issuer("https://evil.example").build())).expired());
        rejected(JwksServer.sign(rsa, claims("idp-carol").issuer(null).build()));
    }

    @Test
    void wrongAudienceIsRejected() {
        assertFalse(rejected(JwksServer.sign(rsa, claims("idp-carol").audience("another-app").build())).expired());
        rejected(JwksServer.sign(rsa, claims("idp-carol").audience((String) null).build()));
    }

    @Test
    void audienceListContainingOursIsAccepted() throws Exception {
        String token = JwksServer.sign(rsa, claims("idp-carol").audience(java.util.List.of("other", JwksServer.AUDIENCE)).build());
        assertEquals("idp-carol", verifierAt(NOW).verify(token).user());
    }

    @Test
    void expiredBeyondTheLeewayIsRejectedAsExpired() {
        Instant late = NOW.plus(TTL).plus(LEEWAY).plusSeconds(1);
        assertTrue(rejectedAt(late, JwksServer.sign(rsa, claims("idp-carol").build())).expired());
    }

    @Test
    void expiredWithinTheLeewayIsAccepted() throws Exception {
        Instant slightlyLate = NOW.plus(TTL).plus(LEEWAY).minusSeconds(1);
        assertEquals("idp-carol", verifierAt(slightlyLate).verify(JwksServer.sign(rsa, claims("idp-carol").build())).user());
    }

    @Test
    void notBeforeBeyondTheLeewayIsRejected() {
        String token = JwksServer.sign(ec, claims("idp-carol").notBeforeTime(Date.from(NOW.plus(LEEWAY).plusSeconds(5))).build());
        assertFalse(rejected(token).expired());
    }

    @Test
    void signedByAnUnpublishedKeyUnderAPublishedKidIsRejected() {
        RSAKey forger = JwksServer.unpublishedRsaKey("rsa-1");
        assertFalse(rejected(JwksServer.sign(forger, claims("idp-carol").build())).expired());
    }

    @Test
    void algorithmConfusionHs256WithThePublicKeyAsSecretIsRejected() throws Exception {
        // the classic attack: the RSA public key is public, so sign HS256 with its bytes and hope the
        // verifier feeds "the key" to an HMAC check
        byte[] publicKeyBytes = rsa.toRSAPublicKey().getEncoded();
        for (JWSAlgorithm claimed : new JWSAlgorithm[] {JWSAlgorithm.HS256, JWSAlgorithm.RS256}) {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("rsa-1").build(),
                    claims("alice").claim("role", "admin").build());
            jwt.sign(new MACSigner(publicKeyBytes));
            String token = jwt.serialize();
            if (claimed == JWSAlgorithm.RS256) {
                // the same HMAC signature under a header that claims RS256
                String[] parts = token.split("\\.");
                String header = Base64.getUrlEncoder().withoutPadding().encodeToString(
                        "{\"alg\":\"RS256\",\"kid\":\"rsa-1\"}".getBytes(StandardCharsets.UTF_8));
                token = header + "." + parts[1] + "." + parts[2];
            }
            assertFalse(rejected(token).expired(), claimed::toString);
        }
    }

    @Test
    void algNoneIsRejectedAlsoWithAProvider() {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        long exp = NOW.plus(TTL).getEpochSecond();
        String none = b64.encodeToString("{\"alg\":\"none\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(("{\"sub\":\"alice\",\"exp\":" + exp + ",\"iss\":\"" + JwksServer.ISSUER
                + "\",\"aud\":\"" + JwksServer.AUDIENCE + "\"}").getBytes(StandardCharsets.UTF_8)) + ".";
        rejected(none);
    }

    @Test
    void otherAsymmetricAlgorithmsAreRejected() throws Exception {
        SignedJWT ps256 = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.PS256).keyID("rsa-1").build(),
                claims("idp-carol").build());
        ps256.sign(new com.nimbusds.jose.crypto.RSASSASigner(rsa));
        rejected(ps256.serialize());
    }

    @Test
    void withLocalAccountsOnOwnHs256TokensStillNeedARegisteredUser() throws Exception {
        JwtTokenIssuer issuer = new JwtTokenIssuer(KEY, TTL, Clock.fixed(NOW, ZoneOffset.UTC));
        JwtTokenVerifier mixed = new JwtTokenVerifier(KEY, users, LEEWAY, provider("sub"), Clock.fixed(NOW, ZoneOffset.UTC), true);
        assertEquals("alice", mixed.verify(issuer.issue("alice", "user").token()).user());
        assertThrows(TokenRejectedException.class, () -> mixed.verify(issuer.issue("mallory", "user").token()));
    }

    /** Beside a provider local accounts are off by default: our own tokens, even a registered user's, are refused. */
    @Test
    void besideAProviderOwnTokensAreRefusedByDefault() {
        JwtTokenIssuer issuer = new JwtTokenIssuer(KEY, TTL, Clock.fixed(NOW, ZoneOffset.UTC));
        TokenRejectedException e = rejected(issuer.issue("alice", "user").token());
        assertTrue(e.getMessage().contains("CHAT_LOCAL_ACCOUNTS"), e.getMessage());
    }

    /** A local account's conversations are its own: the provider's user of that name may not read them. */
    @Test
    void aProviderUserNamedLikeALocalAccountIsRefusedAndTheRuleNamed() throws Exception {
        TokenRejectedException e = rejected(JwksServer.sign(rsa, claims("alice").build()));
        assertEquals("provider user \"alice\" refused: the name is a local account (one name, one identity)", e.getMessage());
    }

    @Test
    void providerTokensAreRejectedWhenNoProviderIsConfigured() {
        JwtTokenVerifier ownOnly = new JwtTokenVerifier(KEY, users, Clock.fixed(NOW, ZoneOffset.UTC));
        assertThrows(TokenRejectedException.class, () -> ownOnly.verify(JwksServer.sign(rsa, claims("alice").build())));
    }

    @Test
    void aKeyAddedAfterStartIsFetchedOnItsFirstToken() throws Exception {
        try (JwksServer rotating = JwksServer.start()) {
            RSAKey first = rotating.addRsaKey("2025-01");
            JwtTokenVerifier verifier = new JwtTokenVerifier(KEY, users, LEEWAY,
                    IdentityProvider.remote(rotating.url(), JwksServer.ISSUER, JwksServer.AUDIENCE, "sub"),
                    Clock.fixed(NOW, ZoneOffset.UTC));
            assertEquals("idp-carol", verifier.verify(JwksServer.sign(first, claims("idp-carol").build())).user());
            assertEquals("idp-carol", verifier.verify(JwksServer.sign(first, claims("idp-carol").build())).user());
            assertEquals(1, rotating.fetches(), "the key set is cached");

            ECKey second = rotating.addEcKey("2025-02");
            assertEquals("idp-dave", verifier.verify(JwksServer.sign(second, claims("idp-dave").build())).user());
            assertEquals(2, rotating.fetches(), "an unknown kid fetches the set again");
            assertEquals("idp-carol", verifier.verify(JwksServer.sign(first, claims("idp-carol").build())).user());
        }
    }

    @Test
    void anUnreachableProviderRejectsItsTokensWithoutHanging() throws Exception {
        JwksServer gone = JwksServer.start();
        RSAKey key = gone.addRsaKey("gone-1");
        gone.close();
        JwtTokenVerifier verifier = new JwtTokenVerifier(KEY, users, LEEWAY,
                IdentityProvider.remote(gone.url(), null, null, "sub"), Clock.fixed(NOW, ZoneOffset.UTC));
        TokenRejectedException e = assertThrows(TokenRejectedException.class,
                () -> verifier.verify(JwksServer.sign(key, claims("idp-carol").build())));
        assertFalse(e.expired());
    }
}
