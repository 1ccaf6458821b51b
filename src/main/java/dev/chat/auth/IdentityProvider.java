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
import java.util.Map;
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
 * @param userClaim  the claim holding the user name
 * @param rolesClaim the claim holding the user's roles, a string or an array of strings: a claim of
 *                   that name, else a dot path into nested objects ({@code realm_access.roles})
 * @param adminRoles the role values that make the user an admin; any other value is ignored
 */
public record IdentityProvider(JWKSource<SecurityContext> keys, String issuer, String audience, String userClaim,
                               String rolesClaim, Set<String> adminRoles) {
    public IdentityProvider {
        adminRoles = Set.copyOf(adminRoles);
    }

    /** The only algorithms asked of an identity provider; HS256 stays ours alone (no key confusion). */
    public static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256);
    /** A handshake waits on a key fetch: bounded, generously for a loaded provider. */
    private static final int HTTP_TIMEOUT_MILLIS = 2_000;
    /** Far above any real key set; a larger answer is refused unread. */
    private static final int MAX_JWKS_BYTES = 256 * 1024;

    /** The provider whose key set is served at {@code jwksUrl}. */
    public static IdentityProvider remote(URI jwksUrl, String issuer, String audience, String userClaim) {
        return remote(jwksUrl, issuer, audience, userClaim, "role", Set.of(Principal.ROLE_ADMIN));
    }

    public static IdentityProvider remote(URI jwksUrl, String issuer, String audience, String userClaim,
                                          String rolesClaim, Set<String> adminRoles) {
        try {
            JWKSource<SecurityContext> keys = JWKSourceBuilder.<SecurityContext>create(jwksUrl.toURL(),
                            new DefaultResourceRetriever(HTTP_TIMEOUT_MILLIS, HTTP_TIMEOUT_MILLIS, MAX_JWKS_BYTES))
                    .build();
            return new IdentityProvider(keys, issuer, audience, userClaim, rolesClaim, adminRoles);
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException("not a URL: " + jwksUrl, e);
        }
    }

    /**
     * The role a token's claims give: admin when any value of the roles claim is one of
     * {@link #adminRoles}, else user. Values of other types, and roles we do not know, are ignored:
     * a provider lists many roles (Keycloak's {@code offline_access}, {@code uma_authorization}).
     */
    String role(Map<String, Object> claims) {
        Object value = claims.containsKey(rolesClaim) ? claims.get(rolesClaim) : path(claims, rolesClaim);
        List<?> values = value instanceof List<?> list ? list : value == null ? List.of() : List.of(value);
        for (Object v : values) {
            if (v instanceof String s && adminRoles.contains(s)) {
                return Principal.ROLE_ADMIN;
            }
        }
        return Principal.ROLE_USER;
    }

    private static Object path(Map<String, Object> claims, String dotted) {
        Object at = claims;
        for (String step : dotted.split("\\.")) {
            if (!(at instanceof Map<?, ?> m)) {
                return null;
            }
            at = m.get(step);
        }
        return at;
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
