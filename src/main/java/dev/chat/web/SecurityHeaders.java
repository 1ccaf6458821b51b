package dev.chat.web;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The headers the page is served with, in one place for both runtimes (the jar's static handler and
 * the WAR's filter). The page loads only its own scripts and styles (no inline code), so the policy
 * can forbid everything else: injected markup could neither run script nor send data elsewhere,
 * and no other site may frame the page (clickjacking).
 *
 * <p>With a provider in the page ({@code CHAT_OIDC_ISSUER}) the page also fetches from the
 * provider's token endpoint, so {@code connect-src} gains exactly that one origin. Nothing else
 * changes: the sign-in and the sign-out are top-level navigations (not forms, so
 * {@code form-action} stays {@code 'self'}), which no CSP directive that browsers enforce governs.
 */
public final class SecurityHeaders {
    /** The policy without a provider in the page. */
    public static final String CONTENT_SECURITY_POLICY = contentSecurityPolicy(null);

    /** The headers without a provider in the page. */
    public static final List<Map.Entry<String, String>> PAGE = page(null);

    /** An origin as {@code OidcEndpoints} builds it: scheme, host, port; nothing that could end a directive. */
    private static final Pattern ORIGIN = Pattern.compile("https?://[A-Za-z0-9.\\-\\[\\]:]+");

    /** @param providerOrigin the token endpoint's origin, or null without a provider in the page */
    public static String contentSecurityPolicy(String providerOrigin) {
        if (providerOrigin != null && !ORIGIN.matcher(providerOrigin).matches()) {
            throw new IllegalArgumentException("not an origin: " + providerOrigin);
        }
        return "default-src 'self'; script-src 'self'; style-src 'self'; "
                + "img-src 'self' data:; connect-src 'self'" + (providerOrigin == null ? "" : " " + providerOrigin)
                + "; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
    }

    /** @param providerOrigin the token endpoint's origin, or null without a provider in the page */
    public static List<Map.Entry<String, String>> page(String providerOrigin) {
        return List.of(
                Map.entry("Content-Security-Policy", contentSecurityPolicy(providerOrigin)),
                Map.entry("X-Content-Type-Options", "nosniff"),
                Map.entry("Referrer-Policy", "no-referrer"),
                Map.entry("X-Frame-Options", "DENY"));
    }

    private SecurityHeaders() {
    }
}
