package dev.chat.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/**
 * Signs the HS256 tokens that login and refresh hand out: {@code sub}, {@code iat}, {@code exp},
 * {@code role} and, for a session's tokens, {@code sid} (checked against the session at every
 * handshake and {@code refresh}, so a revoked session's tokens stop working before their {@code exp}).
 */
public final class JwtTokenIssuer {
    private final MACSigner signer;
    private final Duration ttl;
    private final Clock clock;

    public JwtTokenIssuer(byte[] secret, Duration ttl, Clock clock) {
        try {
            this.signer = new MACSigner(secret);
        } catch (JOSEException e) {
            throw new IllegalArgumentException("HS256 needs a secret of at least 32 bytes", e);
        }
        this.ttl = ttl;
        this.clock = clock;
    }

    /** A token and its lifetime in seconds, as {@code POST /api/login} returns them. */
    public record IssuedToken(String token, long expiresIn) { }

    public IssuedToken issue(String user, String role) {
        return issue(user, role, null);
    }

    /** @param session the session's id ({@code sid}); null for a token of no session */
    public IssuedToken issue(String user, String role, String session) {
        Instant now = clock.instant();
        JWTClaimsSet.Builder builder = new JWTClaimsSet.Builder()
                .subject(user)
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(ttl)))
                .claim("role", role);
        if (session != null) {
            builder.claim("sid", session);
        }
        JWTClaimsSet claims = builder.build();
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("HMAC-SHA256 signing failed", e);
        }
        return new IssuedToken(jwt.serialize(), ttl.toSeconds());
    }
}
