package dev.chat.auth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import java.net.MalformedURLException;
import java.net.URI;
import java.security.Key;
import java.util.List;
import java.util.Set;

/**
 * An external identity provider whose RS256 and ES256 tokens this node accepts besides its own:
 * where its public keys are (a JWKS URL), and what its tokens must say (issuer, audience) and
 * which claim names the user.
 *
 * <p>Keys come from Nimbus's {@link JWKSourceBuilder}: fetched on first use, cached for 5 minutes,
 * and fetched again when a token names a {@code kid} the cache does not hold (key rotation). Such
 * refetches are rate limited by Nimbus (about one per 30 s after the first), so tokens with made-up
 * key ids cannot turn this node into a flood against the provider.
 *
 * @param issuer    required {@code iss}; null means not checked
 * @param audience  a value {@code aud} must contain; null means not checked
 * @param userClaim the claim holding the user name
 */
public record IdentityProvider(JWKSource<SecurityContext> keys, String issuer, String audience, String userClaim) {
    /** The only algorithms asked of an identity provider; HS256 stays ours alone (no key confusion). */
    public static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256);
    /** A handshake waits on a key fetch: bounded, generously for a loaded provider. */
    private static final int HTTP_TIMEOUT_MILLIS = 2_000;
    /** Far above any real key set; a larger answer is refused unread. */
    private static final int MAX_JWKS_BYTES = 256 * 1024;

    /** The provider whose key set is served at {@code jwksUrl}. */
    public static IdentityProvider remote(URI jwksUrl, String issuer, String audience, String userClaim) {
        try {
            JWKSource<SecurityContext> keys = JWKSourceBuilder.<SecurityContext>create(jwksUrl.toURL(),
                            new DefaultResourceRetriever(HTTP_TIMEOUT_MILLIS, HTTP_TIMEOUT_MILLIS, MAX_JWKS_BYTES))
                    .build();
            return new IdentityProvider(keys, issuer, audience, userClaim);
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException("not a URL: " + jwksUrl, e);
        }
    }

    /**
     * The provider's keys that may have signed a token with this header: those of the header's
     * {@code kid} (refetching the set once when it is unknown) and algorithm.
     *
     * @throws KeySourceException when the key set cannot be fetched
     */
    List<Key> keysFor(JWSHeader header) throws KeySourceException {
        return List.copyOf(new JWSVerificationKeySelector<>(ALGORITHMS, keys).selectJWSKeys(header, null));
    }
}
