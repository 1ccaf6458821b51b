package dev.chat.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.JwksServer;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The page's side of the provider's sign-in, in the default suite: what it asks the provider for,
 * and the answers it refuses. The provider here only serves its discovery document and a page at
 * its authorization endpoint; the whole flow against a real provider is {@code KeycloakBrowserIT}'s.
 */
class ProviderSignInBrowserTest extends BrowserTestSupport {
    private static final String STALE = "The sign-in could not be completed; please try again.";
    private static JwksServer idp;

    @BeforeAll
    static void startServer() {
        idp = JwksServer.start();
        serve(Map.of(
                "CHAT_OIDC_ISSUER", idp.oidcIssuer().toString(),
                "CHAT_OIDC_CLIENT_ID", "chat-web",
                "CHAT_OIDC_NAME", "Acme ID",
                "CHAT_JWT_USER_CLAIM", "preferred_username"));
    }

    @AfterAll
    static void stopIdp() {
        idp.close();
    }

    @Test
    void theButtonAsksForACodeWithPkceS256StateAndNonceInTheFragment() {
        Browser page = desktops(1).get(0);
        Map<String, String> asked = pressTheButton(page);
        assertEquals("code", asked.get("response_type"));
        assertEquals("fragment", asked.get("response_mode"), "the code never reaches a server log");
        assertEquals("chat-web", asked.get("client_id"));
        assertEquals(base().toString(), asked.get("redirect_uri"), "the page's own address");
        assertTrue(asked.get("scope").startsWith("openid"), asked.get("scope"));
        assertEquals("S256", asked.get("code_challenge_method"));
        for (String random : new String[] {"code_challenge", "state", "nonce"}) {
            assertTrue(asked.get(random).matches("[A-Za-z0-9_-]{43}"), random + ": 256 bits, base64url: " + asked.get(random));
        }
        assertFalse(asked.get("state").equals(asked.get("nonce")));
        assertFalse(asked.containsKey("prompt"), "a press of the button may show the provider's form");
        assertFalse(asked.containsKey("code_verifier"), "the verifier stays in the tab");
    }

    @Test
    void anAnswerToNoSignInOfThisTabOrFromAnotherIssuerIsRefusedAndLeavesTheAddressBar() {
        Browser page = desktops(1).get(0);
        answer(page, "state=forged&code=stolen");
        assertRefused(page, STALE);

        String state = pressTheButton(page).get("state");
        answer(page, "state=" + state + "&code=abc&iss=" + URLEncoder.encode("https://evil.example", StandardCharsets.UTF_8));
        assertRefused(page, STALE);

        // each sign-in's state is taken once: the right state after a refused answer is stale too
        answer(page, "state=" + state + "&code=abc");
        assertRefused(page, STALE);
    }

    @Test
    void theProvidersErrorIsShownAsText() {
        Browser page = desktops(1).get(0);
        String state = pressTheButton(page).get("state");
        String markup = "<img src=x onerror=\"document.title='owned'\">";
        answer(page, "state=" + state + "&error=access_denied&error_description=" + URLEncoder.encode(markup, StandardCharsets.UTF_8));
        assertRefused(page, "Signing in with Acme ID failed: " + markup);
        assertEquals("Chat", page.driver().getTitle());
        assertTrue(page.findAll("#auth-error img").isEmpty());
    }

    /** Loads the page, checks the sign-ins it offers, presses the button; the provider's query. */
    private Map<String, String> pressTheButton(Browser page) {
        page.driver().get(base().toString());
        page.visible("#provider-btn");
        assertEquals("Sign in with Acme ID", page.find("#provider-btn").getText());
        assertFalse(page.find("#local-auth").isDisplayed(), "no local accounts beside the provider");
        page.find("#provider-btn").click();
        String authorize = idp.oidcIssuer() + "/auth?";
        page.waiter().until(d -> d.getCurrentUrl().startsWith(authorize));
        Map<String, String> query = new LinkedHashMap<>();
        for (String pair : URI.create(page.driver().getCurrentUrl()).getRawQuery().split("&")) {
            String[] kv = pair.split("=", 2);
            query.put(URLDecoder.decode(kv[0], StandardCharsets.UTF_8), URLDecoder.decode(kv[1], StandardCharsets.UTF_8));
        }
        return query;
    }

    /** The page loaded with this answer in its fragment, as a provider's redirect loads it (never a same-page jump). */
    private void answer(Browser page, String fragment) {
        page.driver().get("about:blank");
        page.driver().get(base() + "#" + fragment);
    }

    private void assertRefused(Browser page, String message) {
        page.waiter().until(d -> message.equals(page.find("#auth-error").getText()));
        assertTrue(page.find("#auth-view").isDisplayed());
        assertFalse(page.find("#chat-view").isDisplayed());
        assertEquals(base().toString(), page.driver().getCurrentUrl(), "the answer left the address bar");
    }
}
