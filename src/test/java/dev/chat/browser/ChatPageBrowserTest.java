package dev.chat.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.WebElement;

/**
 * The chat page in real headless Chromium against the embedded server: one server for the class,
 * fresh browsers (and fresh user names) for every test.
 */
class ChatPageBrowserTest extends BrowserTestSupport {

    @BeforeAll
    static void startServer() {
        serve(Map.of("CHAT_API_KEYS", dev.chat.testing.ServerApiClient.KEYS));
    }

    /** A backend's bot posts through the server API: the page shows its name with a "bot" badge, as text. */
    @Test
    void aBotsMessageShowsItsNameWithABotBadge() throws Exception {
        String reader = user("reader");
        Browser page = desktops(1).get(0);
        page.register(base(), reader);
        page.waitJoined("general", reader);
        var posted = dev.chat.testing.ServerApiClient.of(server.base()).post("messages",
                "{\"room\":\"general\",\"from\":\"bot:<b>ci</b>\",\"text\":\"build 7 passed\"}");
        assertEquals(404, posted.statusCode(), "a bot's name is a local account's name: no markup in it");
        posted = dev.chat.testing.ServerApiClient.of(server.base()).post("messages",
                "{\"room\":\"general\",\"from\":\"bot:ci\",\"text\":\"build 7 passed\"}");
        assertEquals(201, posted.statusCode(), posted::body);
        WebElement m = page.message("bot:ci", "build 7 passed");
        assertEquals("ci", Browser.text(m.findElement(By.cssSelector(".author"))));
        assertEquals("bot", Browser.text(m.findElement(By.cssSelector(".bot-badge"))));
        assertTrue(m.getAttribute("class").contains("bot"), m.getAttribute("class"));
        assertFalse(m.getAttribute("class").contains("own"));
    }

    @Test
    void twoUsersInTwoBrowsersSeeEachOtherAndEachOthersMessages() {
        String alice = user("alice");
        String bob = user("bob");
        List<Browser> pair = desktops(2);
        Browser a = pair.get(0);
        Browser b = pair.get(1);
        a.register(base(), alice);
        a.waitJoined("general", alice);
        assertEquals(alice, a.find("#me").getText());
        assertEquals("#general", a.find("#room-title").getText());
        b.register(base(), bob);
        b.waitJoined("general", bob);

        a.present("#members li[data-user='" + bob + "']");
        b.present("#members li[data-user='" + alice + "']");
        a.waiter().until(d -> d.findElements(By.cssSelector("#messages li.system")).stream()
                .anyMatch(li -> li.getText().contains(bob + " joined")));

        // Record every own message that enters the list as .pending (the ack may come within a millisecond).
        a.js("const seen = window.pendingSeen = [];"
                + "new MutationObserver((records) => { for (const r of records) for (const n of r.addedNodes)"
                + "  if (n.nodeType === 1 && n.matches('li.msg.pending')) seen.push(n.querySelector('.text').textContent); })"
                + ".observe(document.getElementById('messages'), {childList: true});");
        String hello = "Hello from " + alice;
        a.send(hello);
        WebElement own = a.message(alice, hello);
        a.waiter().until(d -> !own.getDomAttribute("class").contains("pending") && own.getDomAttribute("data-seq") != null);
        assertEquals(List.of(hello), a.js("return window.pendingSeen;"), "shown as .pending before the ack");
        assertTrue(own.getDomAttribute("class").contains("own"));
        assertEquals(alice, own.findElement(By.cssSelector(".author")).getText());

        WebElement received = b.message(alice, hello);
        assertEquals(alice, received.findElement(By.cssSelector(".author")).getText());
        assertEquals(own.getDomAttribute("data-seq"), received.getDomAttribute("data-seq"));
        assertFalse(received.getDomAttribute("class").contains("own"));
        assertTrue(received.findElement(By.cssSelector(".time")).getText().matches("\\d\\d:\\d\\d"));

        String reply = "Hi " + alice + ", " + bob + " here. Shall we meet at 10?";
        b.send(reply);
        WebElement replied = a.message(bob, reply);
        assertEquals(bob, replied.findElement(By.cssSelector(".author")).getText());
        a.send("Yes, see you then.");
        a.message(alice, "Yes, see you then.");
        a.waiter().until(d -> d.findElements(By.cssSelector("#messages li.msg.pending")).isEmpty());

        a.screenshot("chat-desktop-1280x900");
    }

    @Test
    void markupInAMessageIsShownAsTextAndNeverRuns() {
        String alice = user("alice");
        String bob = user("bob");
        List<Browser> pair = inGeneral(alice, bob);
        Browser a = pair.get(0);
        Browser b = pair.get(1);

        String payload = "<img src=x onerror=alert(1)><script>alert(2)</script>";
        a.send(payload);
        for (Browser browser : List.of(a, b)) {
            WebElement message = browser.message(alice, payload);
            assertEquals(payload, Browser.text(message.findElement(By.cssSelector(".text"))));
            assertEquals(payload, message.findElement(By.cssSelector(".text")).getText(), "rendered as literal text");
            assertTrue(browser.findAll("#messages img").isEmpty(), "no <img> element was created");
            assertTrue(browser.findAll("#messages script").isEmpty(), "no <script> element was created");
            assertThrows(NoAlertPresentException.class, () -> browser.driver().switchTo().alert());
        }
    }

    @Test
    void shiftEnterInsertsANewlineAndEnterSends() {
        String alice = user("alice");
        Browser a = inGeneral(alice).get(0);
        WebElement input = a.find("#message-input");

        input.sendKeys("first line");
        input.sendKeys(Keys.chord(Keys.SHIFT, Keys.ENTER));
        input.sendKeys("second line");
        assertEquals("first line\nsecond line", input.getDomProperty("value"));
        assertEquals("2", input.getDomProperty("rows"), "the composer grows with its content");
        // other tests' messages may be replayed from the room's history: look for this one only
        assertTrue(a.findAll("#messages li.msg").stream().noneMatch(m -> m.getText().contains("first line")),
                "Shift+Enter sent nothing");

        input.sendKeys(Keys.ENTER);
        WebElement sent = a.message(alice, "first line\nsecond line");
        assertEquals("first line\nsecond line", sent.findElement(By.cssSelector(".text")).getText());
        assertEquals("", input.getDomProperty("value"));
        assertEquals("1", input.getDomProperty("rows"));
        // other tests' messages are replayed from #general's history: count this user's only
        assertEquals(1, a.findAll("#messages li.msg[data-from='" + alice + "']").size());
    }

    @Test
    void anInvalidStoredTokenReturnsToTheLoginFormWithAnExplanation() {
        String alice = user("alice");
        Browser a = inGeneral(alice).get(0);

        a.js("const s = JSON.parse(sessionStorage.getItem('chat.session'));"
                + "s.token = 'garbage';"
                + "sessionStorage.setItem('chat.session', JSON.stringify(s));");
        a.driver().navigate().refresh();

        a.waiter().until(d -> !d.findElement(By.id("auth-error")).getText().isEmpty());
        assertTrue(a.find("#auth-view").isDisplayed());
        assertFalse(a.find("#chat-view").isDisplayed());
        assertEquals("You are not authorised any more, please log in again.", a.find("#auth-error").getText());
        assertNull(a.js("return sessionStorage.getItem('chat.session');"), "the bad token is forgotten");
        assertTrue(a.find("#username").isDisplayed());
    }

    @Test
    void aMessageInAnotherRoomRaisesItsUnreadCountUntilOpened() {
        String alice = user("alice");
        String bob = user("bob");
        List<Browser> pair = inGeneral(alice, bob);
        Browser a = pair.get(0);
        Browser b = pair.get(1);

        WebElement roomInput = a.find("#room-input");
        roomInput.sendKeys("random");
        roomInput.sendKeys(Keys.ENTER);
        a.waitJoined("random", alice);
        assertEquals("#random", a.find("#room-title").getText());
        WebElement general = a.find("#room-list li.room[data-room='general']");
        assertFalse(general.findElement(By.cssSelector(".unread")).isDisplayed());

        b.send("Anyone in general?");
        b.message(bob, "Anyone in general?");
        WebElement badge = general.findElement(By.cssSelector(".unread"));
        a.waiter().until(d -> badge.isDisplayed() && "1".equals(badge.getText()));
        assertFalse(a.find("#room-list li.room[data-room='random'] .unread").isDisplayed());
        assertTrue(a.driver().getTitle().startsWith("(1) "), a.driver().getTitle());
        assertTrue(a.findAll("#messages li.msg").isEmpty(), "the message is not shown in #random");

        general.findElement(By.cssSelector(".room-open")).click();
        a.waiter().until(d -> !badge.isDisplayed());
        assertEquals("#general", a.find("#room-title").getText());
        a.message(bob, "Anyone in general?");
        assertFalse(a.driver().getTitle().startsWith("("), a.driver().getTitle());
    }

    @Test
    void theChatFitsAPhoneScreen() {
        String alice = user("alice");
        String bob = user("bob");
        List<Browser> pair = start(List.of(Browser::phone, Browser::desktop));
        Browser phone = pair.get(0);
        Browser b = pair.get(1);
        b.register(base(), bob);
        b.waitJoined("general", bob);
        phone.register(base(), alice);
        phone.present("#room-list li.room[data-room='general']:not(.joining)");
        b.present("#members li[data-user='" + alice + "']");

        b.send("Hi " + alice + ", how is the phone app?");
        phone.message(bob, "Hi " + alice + ", how is the phone app?");
        phone.send("Works fine, and long words wrap: supercalifragilisticexpialidocious-" + "x".repeat(40));
        phone.message(alice, "Works fine, and long words wrap: supercalifragilisticexpialidocious-" + "x".repeat(40));
        phone.waiter().until(d -> d.findElements(By.cssSelector("#messages li.msg.pending")).isEmpty());

        assertEquals(390L, phone.js("return window.innerWidth;"));
        assertEquals(Boolean.TRUE, phone.js("return document.documentElement.scrollWidth <= window.innerWidth;"),
                "no horizontal scrolling on a phone");
        assertTrue(phone.find("#message-input").isDisplayed());
        assertTrue(phone.find("#send-btn").isDisplayed());
        assertTrue(phone.find("#rooms-toggle").isDisplayed(), "rooms are behind a toggle on a phone");
        phone.screenshot("chat-phone-390x844");
    }

    @Test
    void typingShowsInTheOtherPageAndDisappearsAfterAFewSeconds() {
        String alice = user("alice");
        String bob = user("bob");
        List<Browser> pair = inGeneral(alice, bob);
        Browser a = pair.get(0);
        Browser b = pair.get(1);

        a.find("#message-input").sendKeys("I am writ");
        b.waiter().until(d -> (alice + " is typing…").equals(Browser.read(d.findElement(By.id("typing")).getText())));
        assertEquals("", a.find("#typing").getText(), "never shown to the typist");
        // ~5 s after the last typing frame it goes away by itself
        b.waiter(Duration.ofSeconds(10)).until(d -> d.findElement(By.id("typing")).getText().isEmpty());
    }

    @Test
    void aMessageFromTheTypistRemovesTheTypingIndicatorAtOnce() {
        String alice = user("alice");
        String bob = user("bob");
        List<Browser> pair = inGeneral(alice, bob);
        Browser a = pair.get(0);
        Browser b = pair.get(1);

        a.find("#message-input").sendKeys("Done typing");
        b.waiter().until(d -> (alice + " is typing…").equals(Browser.read(d.findElement(By.id("typing")).getText())));
        a.find("#message-input").sendKeys(Keys.ENTER);
        b.message(alice, "Done typing");
        assertEquals("", b.find("#typing").getText(), "gone with the message, not after the timeout");
        // typing again at once shows again: the 3 s between typing frames start over with a send
        // (these few keystrokes all fall within the 3 s of the first typing frame)
        a.find("#message-input").sendKeys("and more");
        b.waiter().until(d -> (alice + " is typing…").equals(Browser.read(d.findElement(By.id("typing")).getText())));
    }

    @Test
    void messagesSentWhileAPageWasOfflineAppearOnceWhenItIsBack() {
        String alice = user("alice");
        String bob = user("bob");
        List<Browser> pair = inGeneral(alice, bob);
        Browser a = pair.get(0);
        Browser b = pair.get(1);
        b.send("Before the outage");
        a.message(bob, "Before the outage");

        cutOff(a, alice);
        for (String text : List.of("Missed one", "Missed two", "Missed three")) {
            b.send(text);
            b.message(bob, text);
        }
        b.waiter().until(d -> d.findElements(By.cssSelector("#messages li.msg.pending")).isEmpty());
        // while cut off the page alternates between waiting (reconnecting) and trying (connecting)
        String state = a.find("#conn-state").getDomAttribute("data-state");
        assertTrue(state.equals("reconnecting") || state.equals("connecting"), "still cut off, but " + state);
        a.offline(false);
        a.present("#conn-state[data-state='online']");

        a.message(bob, "Missed three");
        a.send("Back again");
        b.message(alice, "Back again");
        a.waiter().until(d -> d.findElements(By.cssSelector("#messages li.msg.pending")).isEmpty());
        for (String text : List.of("Before the outage", "Missed one", "Missed two", "Missed three")) {
            assertEquals(1, count(a, bob, text), text);
        }
        assertNoDuplicateSeqs(a);
        assertTrue(a.findAll("#messages li.gap-notice").isEmpty(), "the gap was recovered");
    }

    @Test
    void aMessageWrittenOfflineStaysPendingAndIsSentOnceAfterTheReconnect() {
        String alice = user("alice");
        String bob = user("bob");
        List<Browser> pair = inGeneral(alice, bob);
        Browser a = pair.get(0);
        Browser b = pair.get(1);

        cutOff(a, alice);
        a.send("Written in a tunnel");
        WebElement own = a.message(alice, "Written in a tunnel");
        assertTrue(own.getDomAttribute("class").contains("pending"));
        a.offline(false);

        a.waiter().until(d -> own.getDomAttribute("class").contains("sent") && own.getDomAttribute("data-seq") != null);
        b.message(alice, "Written in a tunnel");
        b.send("Got it");
        a.message(bob, "Got it");
        assertEquals(1, count(b, alice, "Written in a tunnel"));
        assertEquals(1, count(a, alice, "Written in a tunnel"));
        assertNoDuplicateSeqs(a);
        assertNoDuplicateSeqs(b);
    }
}
