package dev.chat.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.chat.testing.JwksServer;
import dev.chat.testing.WsClient;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A provider's user name that looks like markup and holds right-to-left letters and an emoji (all
 * valid: issue 15) reaches a local user's page as a member, a message's author and a direct
 * conversation: everywhere it is the same characters as text, isolated for bidi, and nothing runs.
 */
class HostileNamesBrowserTest extends BrowserTestSupport {
    private static final String NAME = "<img src=x onerror=window.__pwned=1> \u05e9\u05dc\u05d5\u05dd \ud83d\ude00";
    private static JwksServer idp;
    private static RSAKey key;

    @BeforeAll
    static void startServer() {
        idp = JwksServer.start();
        key = idp.addRsaKey("browser-names");
        serve(Map.of("CHAT_JWT_JWKS_URL", idp.url().toString(), "CHAT_JWT_ISSUER", JwksServer.ISSUER,
                "CHAT_JWT_AUDIENCE", JwksServer.AUDIENCE, "CHAT_LOCAL_ACCOUNTS", "true"));
    }

    @AfterAll
    static void stopProvider() {
        idp.close();
    }

    private static String token(String user) {
        Instant now = Instant.now();
        return JwksServer.sign(key, new JWTClaimsSet.Builder().subject(user).issuer(JwksServer.ISSUER).audience(JwksServer.AUDIENCE)
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(600))).build());
    }

    /** The text of the {@code part} of the first element of {@code list} whose {@code data-KEY} is the name, or null. */
    private static final String TEXT_OF = """
            const [list, key, part, name] = arguments;
            const el = [...document.querySelectorAll(list)].find((e) => e.dataset[key] === name);
            const p = el && el.querySelector(part);
            return p ? [p.textContent, p.getAttribute('dir')] : null;
            """;

    @Test
    void aMarkupLookingRightToLeftProviderNameIsShownAsTextEverywhereAndNothingRuns() throws Exception {
        String me = user("plain");
        Browser page = inGeneral(me).get(0);
        try (WsClient other = WsClient.connect(server.ws(token(NAME)), Map.of("Origin", server.origin()))) {
            assertEquals(NAME, other.welcome());
            other.join("general");
            other.say("general", "hello from a strange name");
            other.send(Map.of("type", "send", "to", me, "text", "psst", "id", "d-1"));
            assertEquals(me, other.expect("ack").get("to"));

            assertEquals(List.of(NAME, "auto"),
                    page.waiter().until(d -> page.js(TEXT_OF, "#members li.member", "user", ".member-name", NAME)));
            assertEquals(List.of(NAME, "auto"),
                    page.waiter().until(d -> page.js(TEXT_OF, "#messages li.msg", "from", ".author", NAME)));
            assertEquals(List.of(NAME, "auto"),
                    page.waiter().until(d -> page.js(TEXT_OF, "#dm-list li.dm", "user", ".room-name", NAME)),
                    "the direct message opened a conversation keyed by the exact name");
            assertNull(page.js("return document.querySelector('img[src=\"x\"]');"), "no element was made from the name");
            assertNull(page.js("return window.__pwned ?? null;"), "no handler ran");
        }
    }
}
