package dev.chat.web;

import java.util.List;
import java.util.Map;

/**
 * The headers the page is served with, in one place for both runtimes (the jar's static handler and
 * the WAR's filter). The page loads only its own scripts and styles (no inline code), so the policy
 * can forbid everything else: injected markup could neither run script nor send data elsewhere,
 * and no other site may frame the page (clickjacking).
 */
public final class SecurityHeaders {
    public static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; "
            + "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
            + "form-action 'self'";

    public static final List<Map.Entry<String, String>> PAGE = List.of(
            Map.entry("Content-Security-Policy", CONTENT_SECURITY_POLICY),
            Map.entry("X-Content-Type-Options", "nosniff"),
            Map.entry("Referrer-Policy", "no-referrer"),
            Map.entry("X-Frame-Options", "DENY"));

    private SecurityHeaders() {
    }
}
