package dev.chat.auth;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.net.URI;
import java.text.ParseException;
import java.util.Map;

/**
 * What an OpenID Connect provider's discovery document says that this node and its page use: the
 * key set the node verifies tokens with, and the endpoints the page's sign-in talks to.
 *
 * @param issuer                the issuer, exactly as configured and as the document repeats it
 * @param jwksUri               the provider's public keys
 * @param authorizationEndpoint where the page sends the browser to sign in
 * @param tokenEndpoint         where the page trades the code, and later its refresh token, for tokens
 * @param endSessionEndpoint    where sign-out ends the provider's session (RP-initiated logout); null when the
 *                              provider has none
 */
public record OidcEndpoints(URI issuer, URI jwksUri, URI authorizationEndpoint, URI tokenEndpoint, URI endSessionEndpoint) {

    /** Where OpenID Connect Discovery 1.0 §4 puts the document of {@code issuer}. */
    public static URI documentOf(URI issuer) {
        String base = issuer.toString();
        return URI.create(base + (base.endsWith("/") ? "" : "/") + ".well-known/openid-configuration");
    }

    /**
     * Reads a discovery document. Its {@code issuer} must be the configured one, character for
     * character (Discovery §4.3): else a document served elsewhere could name other keys.
     *
     * @throws IllegalArgumentException naming what is missing or wrong
     */
    public static OidcEndpoints parse(URI issuer, String document) {
        Map<String, Object> json;
        try {
            json = JSONObjectUtils.parse(document);
        } catch (ParseException e) {
            throw new IllegalArgumentException("not a JSON object: " + e.getMessage());
        }
        if (!issuer.toString().equals(json.get("issuer"))) {
            throw new IllegalArgumentException("its issuer " + json.get("issuer") + " is not " + issuer);
        }
        return new OidcEndpoints(issuer, url(json, "jwks_uri", true), url(json, "authorization_endpoint", true),
                url(json, "token_endpoint", true), url(json, "end_session_endpoint", false));
    }

    private static URI url(Map<String, Object> json, String field, boolean required) {
        Object value = json.get(field);
        if (value == null && !required) {
            return null;
        }
        if (value instanceof String s) {
            try {
                URI uri = new URI(s);
                if (("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())) && uri.getHost() != null
                        && uri.getRawFragment() == null) {
                    return uri;
                }
            } catch (java.net.URISyntaxException e) {
                // reported below
            }
        }
        throw new IllegalArgumentException(field + (value == null ? " is missing" : " is not an http(s) URL: " + value));
    }

    /**
     * The origin the page fetches from ({@code scheme://host[:port]} of the token endpoint), which
     * the Content-Security-Policy's {@code connect-src} must allow; the other endpoints are
     * navigations, which {@code connect-src} does not govern.
     */
    public String tokenEndpointOrigin() {
        int port = tokenEndpoint.getPort();
        return tokenEndpoint.getScheme() + "://" + tokenEndpoint.getHost() + (port < 0 ? "" : ":" + port);
    }
}
