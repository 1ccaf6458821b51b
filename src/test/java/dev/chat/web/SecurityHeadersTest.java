package dev.chat.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The page's policy: unchanged without a provider in the page, and exactly one origin more with one. */
class SecurityHeadersTest {
    private static final String WITHOUT = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    @Test
    void withoutAProviderThePolicyIsTheSameAsBefore() {
        assertEquals(WITHOUT, SecurityHeaders.CONTENT_SECURITY_POLICY);
        assertEquals(WITHOUT, SecurityHeaders.contentSecurityPolicy(null));
        assertEquals(SecurityHeaders.PAGE, SecurityHeaders.page(null));
    }

    @Test
    void aProviderAddsItsTokenEndpointsOriginToConnectSrcAndNothingElse() {
        assertEquals(WITHOUT.replace("connect-src 'self';", "connect-src 'self' https://id.example.com:8443;"),
                SecurityHeaders.contentSecurityPolicy("https://id.example.com:8443"));
        assertEquals(WITHOUT.replace("connect-src 'self';", "connect-src 'self' https://id.example.com:8443;"),
                SecurityHeaders.page("https://id.example.com:8443").get(0).getValue());
    }

    @Test
    void anythingButAnOriginIsRefused() {
        for (String bad : new String[] {"https://id.example.com; script-src *", "*", "https://id.example.com/path", "data:"}) {
            assertThrows(IllegalArgumentException.class, () -> SecurityHeaders.contentSecurityPolicy(bad), bad);
        }
    }
}
