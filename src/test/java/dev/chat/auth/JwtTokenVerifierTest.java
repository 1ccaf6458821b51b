package dev.chat.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Token checks at the handshake, with a fixed clock and an in-memory user store. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JwtTokenVerifierTest {
    private static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    private static final byte[] OTHER_KEY = "fedcba9876543210fedcba9876543210".getBytes(StandardCharsets.UTF_8);
    /** Whole seconds: JWT dates have second precision. */
    private static final Instant NOW = Instant.parse("2025-06-01T12:00:00Z");
    private static final Duration TTL = Duration.ofHours(1);
    /** The default CHAT_JWT_LEEWAY, which the three-argument constructor uses. */
    private static final Duration LEEWAY = Duration.ofSeconds(30);

    /** A tiny in-memory {@link UserStore}. */
    static final class MemoryUserStore implements UserStore {
        private final Map<String, String> hashes = new ConcurrentHashMap<>();

        @Override
        public boolean create(String username, String passwordHash) {
            return hashes.putIfAbsent(username, passwordHash) == null;
        }

        @Override
        public Optional<String> passwordHash(String username) {
            return Optional.ofNullable(hashes.get(username));
        }
    }

    private final MemoryUserStore users = new MemoryUserStore();

    JwtTokenVerifierTest() {
        users.create("alice", "hash-a");
        users.create("root", "hash-r");
    }

    private static Clock at(Instant instant) {
        return Clock.fixed(instant, ZoneOffset.UTC);
    }

    private JwtTokenVerifier verifierAt(Instant instant) {
        return new JwtTokenVerifier(KEY, users, at(instant));
    }

    private static String issue(String user, String role) {
        return new JwtTokenIssuer(KEY, TTL, at(NOW)).issue(user, role).token();
    }

    private static String sign(JWSAlgorithm alg, byte[] key, JWTClaimsSet claims) throws JOSEException {
        SignedJWT jwt = new SignedJWT(new JWSHeader(alg), claims);
        jwt.sign(new MACSigner(key));
        return jwt.serialize();
    }

    private static JWTClaimsSet.Builder validClaims() {
        return new JWTClaimsSet.Builder()
                .subject("alice")
                .issueTime(Date.from(NOW))
                .expirationTime(Date.from(NOW.plus(TTL)))
                .claim("role", Principal.ROLE_USER);
    }

    private static String b64url(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    private TokenRejectedException rejectedAt(Instant instant, String token) {
        return assertThrows(TokenRejectedException.class, () -> verifierAt(instant).verify(token));
    }

    private TokenRejectedException rejected(String token) {
        return rejectedAt(NOW, token);
    }

    @Test
    void tokenFromTheIssuerVerifiesToItsUserRoleAndExpiry() throws Exception {
        Principal p = verifierAt(NOW).verify(issue("alice", Principal.ROLE_USER));
        assertEquals(new Principal("alice", Principal.ROLE_USER, NOW.plus(TTL)), p);
    }

    @Test
    void aTokenOfASessionCarriesItsSidAndIsRefusedOnceTheSessionEnded() throws Exception {
        java.util.Set<String> ended = new java.util.HashSet<>();
        JwtTokenVerifier verifier = new JwtTokenVerifier(KEY, users, LEEWAY, null, at(NOW), true, sid -> !ended.contains(sid));
        String token = new JwtTokenIssuer(KEY, TTL, at(NOW)).issue("alice", Principal.ROLE_USER, "s-1").token();
        assertEquals("s-1", verifier.verify(token).session());
        assertEquals(null, verifier.verify(issue("alice", Principal.ROLE_USER)).session(), "a token of no session");
        ended.add("s-1");
        TokenRejectedException e = assertThrows(TokenRejectedException.class, () -> verifier.verify(token));
        assertTrue(e.sessionEnded());
        assertFalse(e.expired());
    }

    @Test
    void adminRoleIsCarriedThrough() throws Exception {
        assertEquals(Principal.ROLE_ADMIN, verifierAt(NOW).verify(issue("root", Principal.ROLE_ADMIN)).role());
    }

    @Test
    void issuerReportsItsTtlInSeconds() {
        assertEquals(3600, new JwtTokenIssuer(KEY, TTL, at(NOW)).issue("alice", "user").expiresIn());
    }

    @Test
    void tokenExpiredBeyondTheClockSkewIsRejectedAsExpired() {
        Instant late = NOW.plus(TTL).plus(LEEWAY).plusSeconds(1);
        TokenRejectedException e = rejectedAt(late, issue("alice", "user"));
        assertTrue(e.expired());
    }

    @Test
    void tokenExpiredWithinTheClockSkewIsAccepted() throws Exception {
        Instant slightlyLate = NOW.plus(TTL).plus(LEEWAY).minusSeconds(1);
        assertEquals("alice", verifierAt(slightlyLate).verify(issue("alice", "user")).user());
    }

    @Test
    void tokenWithNotBeforeBeyondTheSkewInTheFutureIsRejected() throws Exception {
        String token = sign(JWSAlgorithm.HS256, KEY,
                validClaims().notBeforeTime(Date.from(NOW.plus(LEEWAY).plusSeconds(60))).build());
        TokenRejectedException e = rejected(token);
        assertFalse(e.expired());
    }

    @Test
    void tokenWithNotBeforeWithinTheSkewIsAccepted() throws Exception {
        String token = sign(JWSAlgorithm.HS256, KEY,
                validClaims().notBeforeTime(Date.from(NOW.plusSeconds(10))).build());
        assertEquals("alice", verifierAt(NOW).verify(token).user());
    }

    @Test
    void tokenWithoutExpiryIsRejected() throws Exception {
        String token = sign(JWSAlgorithm.HS256, KEY,
                new JWTClaimsSet.Builder().subject("alice").claim("role", "user").build());
        assertFalse(rejected(token).expired());
    }

    @Test
    void algNoneTokenIsRejected() {
        long exp = NOW.plus(TTL).getEpochSecond();
        String token = b64url("{\"alg\":\"none\"}") + "."
                + b64url("{\"sub\":\"alice\",\"exp\":" + exp + ",\"role\":\"admin\"}") + ".";
        assertFalse(rejected(token).expired());
    }

    @Test
    void algNoneWithTypHeaderAndBogusSignatureIsRejected() {
        long exp = NOW.plus(TTL).getEpochSecond();
        String token = b64url("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "."
                + b64url("{\"sub\":\"alice\",\"exp\":" + exp + ",\"role\":\"admin\"}") + "." + b64url("sig");
        rejected(token);
    }

    @Test
    void hs256TokenSignedWithAnotherKeyIsRejected() throws Exception {
        assertFalse(rejected(sign(JWSAlgorithm.HS256, OTHER_KEY, validClaims().build())).expired());
    }

    @Test
    void hs512TokenSignedWithTheRightKeyIsRejected() throws Exception {
        // HS512 needs a 64-byte key, so this verifier's key is 64 bytes; HS256 with it would pass
        byte[] key64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
        JwtTokenVerifier verifier = new JwtTokenVerifier(key64, users, at(NOW));
        assertEquals("alice", verifier.verify(sign(JWSAlgorithm.HS256, key64, validClaims().build())).user());
        String hs512 = sign(JWSAlgorithm.HS512, key64, validClaims().build());
        assertThrows(TokenRejectedException.class, () -> verifier.verify(hs512));
    }

    @Test
    void tokenForAUserNotInTheStoreIsRejected() {
        assertFalse(rejected(issue("mallory", "user")).expired());
    }

    @Test
    void tokenWithAMalformedSubjectIsRejected() throws Exception {
        users.create("a b", "hash");
        rejected(sign(JWSAlgorithm.HS256, KEY, validClaims().subject("a b").build()));
    }

    @Test
    void tamperedPayloadIsRejected() {
        String[] parts = issue("alice", "user").split("\\.");
        long exp = NOW.plus(TTL).getEpochSecond();
        String forged = parts[0] + "." + b64url("{\"sub\":\"alice\",\"exp\":" + exp + ",\"role\":\"admin\"}")
                + "." + parts[2];
        assertFalse(rejected(forged).expired());
    }

    @Test
    void tamperedSignatureIsRejected() {
        String token = issue("alice", "user");
        char last = token.charAt(token.length() - 2);
        String forged = token.substring(0, token.length() - 2) + (last == 'A' ? 'B' : 'A') + token.charAt(token.length() - 1);
        rejected(forged);
    }

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @ValueSource(strings = {"", "garbage", "a.b.c", "a.b", "...", "eyJhbGciOiJIUzI1NiJ9..", "Bearer x.y.z",
            "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln", "{\"alg\":\"HS256\"}"})
    void garbageStringsAreRejected(String token) {
        assertFalse(rejected(token).expired());
    }

    @Test
    void nullTokenIsRejected() {
        rejected(null);
    }

    @Test
    void tenThousandCharacterTokenIsRejected() {
        String token = issue("alice", "user");
        String huge = token + "x".repeat(10_000 - token.length());
        assertEquals(10_000, huge.length());
        assertFalse(rejected(huge).expired());
    }

    @Test
    void tokenWithoutRoleClaimIsRejected() throws Exception {
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .subject("alice").issueTime(Date.from(NOW)).expirationTime(Date.from(NOW.plus(TTL))).build();
        assertFalse(rejected(sign(JWSAlgorithm.HS256, KEY, claims)).expired());
    }

    @Test
    void tokenWithAnUnknownRoleIsRejected() throws Exception {
        rejected(sign(JWSAlgorithm.HS256, KEY, validClaims().claim("role", "superuser").build()));
    }

    @Test
    void tokenWithANonStringRoleIsRejected() throws Exception {
        rejected(sign(JWSAlgorithm.HS256, KEY, validClaims().claim("role", 1).build()));
    }

    @Test
    void verifierRefusesAKeyShorterThan32Bytes() {
        byte[] shortKey = "too-short".getBytes(StandardCharsets.UTF_8);
        assertThrows(IllegalArgumentException.class, () -> new JwtTokenVerifier(shortKey, users, at(NOW)));
    }
}
