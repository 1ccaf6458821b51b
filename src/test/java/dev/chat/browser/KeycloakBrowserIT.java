package dev.chat.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.KeycloakServer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The page signs its users in through a real Keycloak ({@code -Pkeycloak}): the "Sign in with"
 * button, Keycloak's own login form, back to the chat with Keycloak's access token (PKCE, in the
 * page). Access tokens live 60 s (the realm's setting), so the first test stays on one connection
 * for more than two of them: the page renews the token with Keycloak's refresh token and sends
 * {@code refresh} in band. User names are Keycloak's {@code preferred_username}, an e-mail among
 * them. (The tokens themselves, roles among them, are {@code auth/KeycloakIT}'s.)
 */
@EnabledIfSystemProperty(named = "chat.keycloak.home", matches = ".+", disabledReason = "run with -Pkeycloak")
class KeycloakBrowserIT extends BrowserTestSupport {
    private static final String REALM = "chat";
    private static final String CLIENT = "chat-page";
    private static final String AUDIENCE = "chat";
    private static final int TOKEN_SECONDS = 60;
    private static final String DAVE = "dave";
    private static final String ERIN = "erin@example.com";
    private static final String PASSWORD = "correct-horse-battery";

    private static KeycloakServer keycloak;

    @BeforeAll
    static void startKeycloakAndServer() {
        Browser.requireInstalled();
        keycloak = KeycloakServer.start();
        keycloak.createRealm(REALM, TOKEN_SECONDS);
        keycloak.createRealmRole(REALM, "chat-admin");
        keycloak.createUser(REALM, DAVE, "dave@example.com", PASSWORD, "chat-admin");
        keycloak.createUser(REALM, ERIN, ERIN, PASSWORD);
        serve(Map.of(
                "CHAT_OIDC_ISSUER", keycloak.issuer(REALM).toString(),
                "CHAT_OIDC_CLIENT_ID", CLIENT,
                "CHAT_OIDC_NAME", "Keycloak",
                "CHAT_JWT_AUDIENCE", AUDIENCE,
                "CHAT_JWT_USER_CLAIM", "preferred_username",
                "CHAT_JWT_ROLES_CLAIM", "realm_access.roles",
                "CHAT_ADMIN_ROLES", "chat-admin",
                "CHAT_JWT_LEEWAY", "0s"));
        // the page's own address is its redirect URI (and where logout comes back to)
        keycloak.createPublicClient(REALM, CLIENT, server.base().toString(), server.origin(), AUDIENCE);
    }

    @AfterAll
    static void stopKeycloak() {
        if (keycloak != null) {
            keycloak.close();
        }
    }

    @Test
    void usersSignInThroughKeycloaksFormChatAndStayConnectedPastTwoTokenLifetimes() {
        List<Browser> pages = desktops(2);
        Browser dave = pages.get(0);
        Browser erin = pages.get(1);
        dave.tapWire();
        signIn(dave, DAVE);
        Instant signedIn = Instant.now();
        signIn(erin, ERIN);
        dave.waitJoined("general", DAVE);
        erin.waitJoined("general", ERIN);

        dave.send("Hello from Keycloak");
        erin.message(DAVE, "Hello from Keycloak");

        // two access-token lifetimes on one connection: each renewal is sent in band and accepted
        Duration past = Duration.ofSeconds(2L * TOKEN_SECONDS + 5);
        dave.waiter(past.plusSeconds(30)).until(d -> Instant.now().isAfter(signedIn.plus(past))
                && dave.received("refreshed").size() >= 2);
        dave.present("#conn-state[data-state='online']");
        assertEquals(1, dave.received("welcome").size(), "never reconnected");
        dave.send("Still here after " + past.toSeconds() + " s");
        erin.message(DAVE, "Still here after " + past.toSeconds() + " s");
        erin.send("So am I");
        dave.message(ERIN, "So am I");
        String metrics;
        try {
            metrics = server.get("metrics").body();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        assertTrue(metrics.contains("chat_disconnects_total{code=\"4501\"} 0.0"), "no connection expired: "
                + metrics.lines().filter(l -> l.startsWith("chat_disconnects_total")).toList());
    }

    @Test
    void aNewTabSignsInWithoutTheFormAndLogOutEndsTheKeycloakSession() {
        Browser erin = desktops(1).get(0);
        signIn(erin, ERIN);
        erin.waitJoined("general", ERIN);

        // a tab without this tab's storage (a new tab, a restarted browser) asks Keycloak with
        // prompt=none: its session is alive, so no form
        erin.js("sessionStorage.clear();");
        erin.driver().navigate().refresh();
        erin.waitOnline();
        erin.waitJoined("general", ERIN);
        assertEquals(ERIN, erin.find("#me").getText());
        assertFalse(erin.driver().getCurrentUrl().contains("code="), "the code left the address bar");

        // Log out ends Keycloak's session too: the button then leads to Keycloak's form again
        erin.find("#logout-btn").click();
        erin.visible("#provider-btn");
        erin.driver().navigate().refresh();
        erin.visible("#provider-btn");
        assertTrue(erin.find("#chat-view").getDomProperty("hidden").equals("true"), "logged out stays logged out");
        erin.find("#provider-btn").click();
        erin.visible("#kc-login");
    }

    /** From the chat page through Keycloak's login form back to the chat, online. */
    private void signIn(Browser page, String user) {
        page.driver().get(base().toString());
        page.visible("#provider-btn");
        assertEquals("Sign in with Keycloak", page.find("#provider-btn").getText());
        assertTrue(page.find("#local-auth").getDomProperty("hidden").equals("true"), "no local accounts beside the provider");
        page.find("#provider-btn").click();
        page.visible("#kc-login");
        assertTrue(page.driver().getCurrentUrl().startsWith(keycloak.base().toString()), page.driver().getCurrentUrl());
        page.find("#username").sendKeys(user);
        page.find("#password").sendKeys(PASSWORD);
        page.find("#kc-login").click();
        page.waitOnline();
        assertEquals(user, page.find("#me").getText());
        assertFalse(page.driver().getCurrentUrl().contains("code="), "the code left the address bar");
    }
}
