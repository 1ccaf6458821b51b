package dev.chat.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks the tokens presented at the WebSocket handshake: an HS256 signature with our key (any
 * other algorithm, {@code none} included, is refused before the signature is looked at), an
 * {@code exp} not past and an {@code nbf} not ahead (both with a small clock skew), a well-formed
 * subject that is a registered user, and a known role.
 */
public final class JwtTokenVerifier {
    /** Tolerated clock difference between the node that issued a token and the one checking it. */
    public static final Duration CLOCK_SKEW = Duration.ofSeconds(30);
    private static final Pattern USER = Pattern.compile("[A-Za-z0-9_.-]{1,32}");
    private static final Set<String> ROLES = Set.of(Principal.ROLE_USER, Principal.ROLE_ADMIN);
    /** Longer than any token we issue by far; refuses junk before parsing it. */
    private static final int MAX_TOKEN_LENGTH = 8192;

    private final MACVerifier verifier;
    private final UserStore users;
    private final Clock clock;

    public JwtTokenVerifier(byte[] secret, UserStore users, Clock clock) {
        try {
            this.verifier = new MACVerifier(secret);
        } catch (JOSEException e) {
            throw new IllegalArgumentException("HS256 needs a secret of at least 32 bytes", e);
        }
        this.users = users;
        this.clock = clock;
    }

    /**
     * Whether the token's user is registered. When the store cannot be reached (Redis down), a
     * token with our valid signature is trusted: we issued it to a user who existed, and refusing
     * it would turn every reconnect during the outage into a logout.
     */
    private boolean exists(String user) {
        try {
            return users.exists(user);
        } catch (UserStoreUnavailableException e) {
            return true;
        }
    }

    public Principal verify(String token) throws TokenRejectedException {
        if (token == null || token.isEmpty() || token.length() > MAX_TOKEN_LENGTH) {
            throw new TokenRejectedException("missing or oversize token", false);
        }
        JWTClaimsSet claims;
        try {
            SignedJWT jwt = SignedJWT.parse(token);
            if (!JWSAlgorithm.HS256.equals(jwt.getHeader().getAlgorithm())) {
                throw new TokenRejectedException("algorithm not accepted: " + jwt.getHeader().getAlgorithm(), false);
            }
            if (!jwt.verify(verifier)) {
                throw new TokenRejectedException("bad signature", false);
            }
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException | JOSEException | IllegalStateException e) {
            throw new TokenRejectedException("malformed token", false);
        }
        Instant now = clock.instant();
        Date exp = claims.getExpirationTime();
        if (exp == null) {
            throw new TokenRejectedException("token without exp", false);
        }
        if (exp.toInstant().plus(CLOCK_SKEW).isBefore(now)) {
            throw new TokenRejectedException("token expired", true);
        }
        Date nbf = claims.getNotBeforeTime();
        if (nbf != null && nbf.toInstant().minus(CLOCK_SKEW).isAfter(now)) {
            throw new TokenRejectedException("token not valid yet", false);
        }
        String user = claims.getSubject();
        if (user == null || !USER.matcher(user).matches() || !exists(user)) {
            throw new TokenRejectedException("unknown user", false);
        }
        Object role = claims.getClaim("role");
        if (!(role instanceof String r) || !ROLES.contains(r)) {
            throw new TokenRejectedException("unknown role", false);
        }
        return new Principal(user, r, exp.toInstant());
    }
}
