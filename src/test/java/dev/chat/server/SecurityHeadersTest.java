package dev.chat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.TestServer;
import dev.chat.web.SecurityHeaders;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The embedded server serves the page and its files with the security headers, and the page needs nothing the policy forbids. */
@Timeout(60)
class SecurityHeadersTest {
    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static void assertSecurityHeaders(HttpResponse<String> r) {
        assertEquals("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
                r.headers().firstValue("Content-Security-Policy").orElse(null), r.uri()::toString);
        assertEquals("nosniff", r.headers().firstValue("X-Content-Type-Options").orElse(null));
        assertEquals("no-referrer", r.headers().firstValue("Referrer-Policy").orElse(null));
        assertEquals("DENY", r.headers().firstValue("X-Frame-Options").orElse(null));
    }

    @Test
    void thePageAndItsFilesCarryTheHeaders() throws Exception {
        for (String path : new String[] {"", "index.html", "app.js", "style.css", "favicon.svg"}) {
            HttpResponse<String> r = server.get(path);
            assertEquals(200, r.statusCode(), path);
            assertSecurityHeaders(r);
        }
    }

    @Test
    void aMissingFileCarriesThemToo() throws Exception {
        HttpResponse<String> r = server.get("no-such-file.html");
        assertEquals(404, r.statusCode());
        assertSecurityHeaders(r);
    }

    /** Grizzly's own error page named its version and repeated the path, a client's text, in HTML. */
    @Test
    void aMissingFileSaysNotFoundAndNeitherTheServerNorThePath() throws Exception {
        HttpResponse<String> r = server.get("no-such-%3Cb%3Efile.html");
        assertEquals(404, r.statusCode());
        assertTrue(r.body().contains("404 Not Found"), r.body());
        for (String leak : new String[] {"Grizzly", "4.0", "no-such", "<b>", "file"}) {
            assertFalse(r.body().contains(leak), leak + " in " + r.body());
        }
    }

    @Test
    void theHeaderListIsTheOneTheWarFilterUses() {
        assertEquals(4, SecurityHeaders.PAGE.size());
        assertTrue(SecurityHeaders.PAGE.contains(Map.entry("Content-Security-Policy", SecurityHeaders.CONTENT_SECURITY_POLICY)));
    }

    @Test
    void thePageHasNoInlineScriptOrStyleThePolicyWouldBlock() throws Exception {
        String html = server.get("index.html").body();
        assertFalse(Pattern.compile("<script(?![^>]*\\bsrc=)[^>]*>", Pattern.CASE_INSENSITIVE).matcher(html).find(),
                "inline <script>");
        assertFalse(Pattern.compile("<style", Pattern.CASE_INSENSITIVE).matcher(html).find(), "<style> element");
        assertFalse(Pattern.compile("\\sstyle\\s*=", Pattern.CASE_INSENSITIVE).matcher(html).find(), "style attribute");
        assertFalse(Pattern.compile("\\son[a-z]+\\s*=", Pattern.CASE_INSENSITIVE).matcher(html).find(), "inline event handler");
    }
}
