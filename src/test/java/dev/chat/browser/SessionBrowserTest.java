package dev.chat.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The page keeps its user signed in through the server's session (the HttpOnly refresh cookie):
 * across reloads and new tabs (which have no token of their own), past several access-token
 * lifetimes on one open connection (the page refreshes and sends {@code refresh} in band), until
 * Log out ends the session. Access tokens live 6 s here.
 */
class SessionBrowserTest extends BrowserTestSupport {

    @BeforeAll
    static void startServer() {
        serve(Map.of("CHAT_TOKEN_TTL", "6s", "CHAT_JWT_LEEWAY", "0s"));
    }

    @Test
    void aReloadOrANewTabKeepsTheUserSignedInAndLogOutSignsOut() throws Exception {
        String alice = user("alice");
        Browser a = desktops(1).get(0);
        a.register(base(), alice);
        a.waitJoined("general", alice);
        String cookieScript = "return document.cookie;";
        assertFalse(String.valueOf(a.js(cookieScript)).contains("chat_refresh"), "script cannot read the refresh token");

        // more than two token lifetimes on one connection: refreshed before expiry, sent in band
        Thread.sleep(14_000);
        a.present("#conn-state[data-state='online']");
        a.send("Still here");
        a.message(alice, "Still here");
        String metrics = server.get("metrics").body();
        assertTrue(metrics.contains("chat_disconnects_total{code=\"4501\"} 0.0"), "no connection expired: " + metrics.lines()
                .filter(l -> l.startsWith("chat_disconnects_total")).toList());

        // a reload, and a tab with no sessionStorage (a new tab or a restarted browser), are signed in
        a.driver().navigate().refresh();
        a.waitOnline();
        a.waitJoined("general", alice);
        a.js("sessionStorage.clear();");
        a.driver().navigate().refresh();
        a.waitOnline();
        a.waitJoined("general", alice);
        assertEquals(alice, a.find("#me").getText());
        assertTrue(a.find("#auth-view").getDomProperty("hidden").equals("true"));

        a.find("#logout-btn").click();
        a.visible("#auth-view #username");
        assertNull(a.js("return sessionStorage.getItem('chat.session');"));
        a.driver().navigate().refresh();
        a.visible("#auth-view #username");
        Thread.sleep(1_000); // a page that still had a session would have left the form by now
        assertTrue(a.find("#auth-view").isDisplayed(), "logged out stays logged out");
        assertFalse(a.find("#chat-view").isDisplayed());
    }
}
