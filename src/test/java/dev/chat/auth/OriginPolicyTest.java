package dev.chat.auth;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Which pages may open a WebSocket: same origin by default, an explicit list, or any. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OriginPolicyTest {
    private final OriginPolicy sameOrigin = new OriginPolicy(List.of());
    private final OriginPolicy any = new OriginPolicy(List.of("*"));
    private final OriginPolicy listed = new OriginPolicy(List.of("https://A.example", "http://b.example:8080"));

    @Test
    void sameOriginIsAllowedByDefault() {
        assertTrue(sameOrigin.allows("http://127.0.0.1:8080", "127.0.0.1:8080"));
    }

    @Test
    void sameOriginComparisonIgnoresCase() {
        assertTrue(sameOrigin.allows("http://Chat.Example:8080", "chat.example:8080"));
    }

    @Test
    void differentPortIsDeniedByDefault() {
        assertFalse(sameOrigin.allows("http://127.0.0.1:8081", "127.0.0.1:8080"));
    }

    @Test
    void differentHostIsDeniedByDefault() {
        assertFalse(sameOrigin.allows("http://evil.example:8080", "127.0.0.1:8080"));
    }

    @Test
    void httpsOriginWithoutPortMatchesHostWithoutPort() {
        assertTrue(sameOrigin.allows("https://chat.example", "chat.example"));
    }

    @Test
    void httpsOriginWithoutPortMatchesHostWithPort443() {
        assertTrue(sameOrigin.allows("https://chat.example", "chat.example:443"));
    }

    @Test
    void httpOriginWithoutPortDoesNotMatchHostWithPort443() {
        assertFalse(sameOrigin.allows("http://chat.example", "chat.example:443"));
    }

    @Test
    void ipv6SameOriginIsAllowed() {
        assertTrue(sameOrigin.allows("http://[::1]:8080", "[::1]:8080"));
    }

    @Test
    void missingHostDeniesABrowserOriginByDefault() {
        assertFalse(sameOrigin.allows("http://127.0.0.1:8080", null));
    }

    @Test
    void missingOriginIsAllowed() {
        assertTrue(sameOrigin.allows(null, "127.0.0.1:8080"));
        assertTrue(listed.allows(null, "127.0.0.1:8080"));
    }

    @Test
    void literalNullOriginIsDeniedByDefault() {
        assertFalse(sameOrigin.allows("null", "127.0.0.1:8080"));
    }

    @Test
    void literalNullOriginIsDeniedEvenWithStar() {
        assertFalse(any.allows("null", "127.0.0.1:8080"));
        assertFalse(any.allows("NULL", "127.0.0.1:8080"));
    }

    @Test
    void garbageOriginIsDeniedByDefault() {
        assertFalse(sameOrigin.allows("not a url", "127.0.0.1:8080"));
        assertFalse(sameOrigin.allows("http://127.0.0.1:8080", "127.0.0.1:notaport"));
    }

    /** An Origin is scheme://host[:port]: userinfo, a path, a query, a fragment or another scheme make it someone else's. */
    @Test
    void anOriginWithUserinfoPathQueryFragmentOrAnotherSchemeIsDenied() {
        assertTrue(sameOrigin.allows("http://127.0.0.1:8080", "127.0.0.1:8080"));
        for (String forged : java.util.List.of("http://evil.example@127.0.0.1:8080", "http://127.0.0.1:8080/",
                "http://127.0.0.1:8080/chat", "http://127.0.0.1:8080?x=1", "http://127.0.0.1:8080#f",
                "ws://127.0.0.1:8080", "ftp://127.0.0.1:8080", "javascript://127.0.0.1:8080")) {
            assertFalse(sameOrigin.allows(forged, "127.0.0.1:8080"), forged);
        }
    }

    @Test
    void explicitListAllowsListedOriginsCaseInsensitively() {
        assertTrue(listed.allows("https://a.example", "chat.internal"));
        assertTrue(listed.allows("http://B.example:8080", "chat.internal"));
    }

    @Test
    void explicitListDeniesOriginsNotListed() {
        assertFalse(listed.allows("http://a.example", "chat.internal"));
        assertFalse(listed.allows("http://b.example:8081", "chat.internal"));
    }

    @Test
    void explicitListReplacesTheSameOriginDefault() {
        assertFalse(listed.allows("http://chat.internal:8080", "chat.internal:8080"));
    }

    @Test
    void starAllowsAnyOrigin() {
        assertTrue(any.allows("https://anything.example", "127.0.0.1:8080"));
        assertTrue(any.allows("http://localhost:3000", "127.0.0.1:8080"));
    }
}
