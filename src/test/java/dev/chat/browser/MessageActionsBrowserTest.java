package dev.chat.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.WsClient;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;

/**
 * What a user does to messages on the page, and what another member gets of it: Up arrow edits
 * one's last message, delete, reactions from the fixed set and typed, replies whose quote jumps to
 * the original, and {@code @} completing the names of the room's members.
 */
class MessageActionsBrowserTest extends BrowserTestSupport {

    @BeforeAll
    static void startServer() {
        serve(Map.of());
    }

    /** A page in a room of its own with another member, who is a raw client. */
    private record Room(Browser page, String me, String name, WsClient other, String otherName) {}

    private Room room(String label) throws Exception {
        String me = user("me");
        String other = user(label);
        String name = label + "-" + me;
        Browser page = desktops(1).get(0);
        page.register(base(), me);
        page.find("#room-input").sendKeys(name, Keys.ENTER);
        page.waitJoined(name, me);
        WsClient w = server.client(server.token(other));
        w.join(name);
        page.present("#members li[data-user='" + other + "']");
        return new Room(page, me, name, w, other);
    }

    private static WebElement bySeq(Browser page, long seq) {
        return page.present("#messages li.msg[data-seq='" + seq + "']");
    }

    /** The text the message with this seq shows. */
    private static String textOf(Browser page, long seq) {
        return Browser.text(bySeq(page, seq).findElement(By.cssSelector(".text")));
    }

    /** The seq of the page's own message with this text, once the server acked it. */
    private static long ownSeq(Browser page, String me, String text) {
        WebElement li = page.message(me, text);
        page.waiter().until(d -> li.getDomAttribute("data-seq") != null);
        return Long.parseLong(li.getDomAttribute("data-seq"));
    }

    private static String composer(Browser page) {
        return String.valueOf(page.find("#message-input").getDomProperty("value"));
    }

    @Test
    void upArrowEditsTheLastOwnMessageAndEscapeLeavesItAsItWas() throws Exception {
        Room r = room("editor");
        try (WsClient other = r.other()) {
            Browser page = r.page();
            page.send("helo wrold");
            long seq = ownSeq(page, r.me(), "helo wrold");
            WebElement input = page.find("#message-input");

            input.sendKeys(Keys.ARROW_UP);
            page.waiter().until(d -> "helo wrold".equals(composer(page)));
            page.present("#composer[data-editing='" + seq + "']");
            input.sendKeys(Keys.ESCAPE);
            page.waiter().until(d -> composer(page).isEmpty() && page.findAll("#composer[data-editing]").isEmpty());
            assertEquals("helo wrold", textOf(page, seq));

            input.sendKeys(Keys.ARROW_UP);
            page.present("#composer[data-editing='" + seq + "']");
            input.sendKeys(Keys.chord(Keys.CONTROL, "a"), "hello world", Keys.ENTER);
            Map<String, Object> edited = nextOf(other, "edited");
            assertEquals(seq, ((Number) edited.get("target")).longValue());
            assertEquals("hello world", edited.get("text"));
            page.waiter().until(d -> "hello world".equals(textOf(page, seq)));
            page.present("#messages li.msg[data-seq='" + seq + "'] .meta .edited");
            assertTrue(page.findAll("#composer[data-editing]").isEmpty(), "the composer is back to writing");
            assertEquals("", composer(page));
            assertEquals(List.of(seq), seqsInView(page), "an edit is no message of its own");
        }
    }

    @Test
    void deleteTakesOnlyOwnMessagesAway() throws Exception {
        Room r = room("deleter");
        try (WsClient other = r.other()) {
            Browser page = r.page();
            long theirs = other.say(r.name(), "theirs");
            bySeq(page, theirs);
            assertTrue(page.findAll("#messages li.msg[data-seq='" + theirs + "'] .msg-action.delete").isEmpty(), "only one's own messages offer delete");
            page.send("oops, wrong room");
            long mine = ownSeq(page, r.me(), "oops, wrong room");
            page.act(bySeq(page, mine), ".delete");
            Map<String, Object> deleted = nextOf(other, "deleted");
            assertEquals(mine, ((Number) deleted.get("target")).longValue());
            assertEquals(r.me(), deleted.get("by"));
            page.present("#messages li.msg[data-seq='" + mine + "'].deleted");
            assertEquals("This message was deleted.", textOf(page, mine));
        }
    }

    @Test
    void reactionsToggleAndAnyEmojiCanBeTyped() throws Exception {
        Room r = room("reactor");
        try (WsClient other = r.other()) {
            Browser page = r.page();
            long seq = other.say(r.name(), "pizza tonight?");
            String thumbs = "#messages li.msg[data-seq='" + seq + "'] .reactions .reaction[data-emoji='👍']";

            page.act(bySeq(page, seq), ".react[data-emoji='👍']");
            Map<String, Object> on = nextOf(other, "reaction");
            assertEquals("👍", on.get("emoji"));
            assertEquals(true, on.get("on"));
            page.present(thumbs + "[aria-pressed='true']");
            assertEquals("1", Browser.text(page.find(thumbs + " .reaction-count")));

            page.find(thumbs).click(); // the user's own reaction: takes it back
            Map<String, Object> off = nextOf(other, "reaction");
            assertEquals(false, off.get("on"));
            page.waiter().until(d -> page.findAll(thumbs).isEmpty());

            page.act(bySeq(page, seq), ".react-other");
            WebElement typed = page.visible("#messages li.msg[data-seq='" + seq + "'] input.react-input");
            typed.sendKeys("☕ ☕", Keys.ENTER); // not one emoji: refused here, with a word why, and nothing sent
            page.waiter().until(d -> Browser.text(page.find("#toast")).contains("A reaction is one emoji"));
            assertEquals("true", typed.getDomAttribute("aria-invalid"));
            typed.sendKeys(Keys.chord(Keys.CONTROL, "a"), "☕", Keys.ENTER);
            Map<String, Object> coffee = nextOf(other, "reaction");
            assertEquals("☕", coffee.get("emoji"));
            page.present("#messages li.msg[data-seq='" + seq + "'] .reactions .reaction[data-emoji='☕'][aria-pressed='true']");
            page.waiter().until(d -> page.findAll("#messages li.msg[data-seq='" + seq + "'] input.react-input").isEmpty());
        }
    }

    @Test
    void aReplyQuotesTheOriginalAndItsQuoteJumpsThere() throws Exception {
        Room r = room("asker");
        try (WsClient other = r.other()) {
            Browser page = r.page();
            long question = other.say(r.name(), "who brings the cake?");
            List<String> filler = new java.util.ArrayList<>();
            for (int i = 0; i < 25; i++) { // within the client's burst of 40 frames; tall enough to push the question out of view
                filler.add("chatter " + i + "\nand\nmore");
            }
            List<Long> later = sayAll(other, "room", r.name(), filler);
            bySeq(page, later.get(later.size() - 1));
            assertTrue(Boolean.FALSE.equals(page.js(
                    "const li = arguments[0].getBoundingClientRect(), box = document.getElementById('messages').getBoundingClientRect();"
                            + " return li.top >= box.top - 1 && li.bottom <= box.bottom + 1;", bySeq(page, question))),
                    "the question is out of view before the jump");

            page.act(bySeq(page, question), ".reply");
            assertEquals("who brings the cake?", Browser.text(page.visible("#reply-bar .reply-snippet")));
            page.send("I do");
            Map<String, Object> reply = nextOf(other, "message");
            assertEquals("I do", reply.get("text"));
            assertEquals(question, ((Number) reply.get("replyTo")).longValue());
            page.waiter().until(d -> !page.find("#reply-bar").isDisplayed());

            long mine = ownSeq(page, r.me(), "I do");
            WebElement quote = bySeq(page, mine).findElement(By.cssSelector(".reply-quote"));
            assertEquals("who brings the cake?", Browser.text(quote.findElement(By.cssSelector(".reply-snippet"))));
            quote.click();
            page.present("#messages li.msg[data-seq='" + question + "'].flash");
            page.waiter().until(d -> Boolean.TRUE.equals(page.js(
                    "const li = arguments[0].getBoundingClientRect(), box = document.getElementById('messages').getBoundingClientRect();"
                            + " return li.top >= box.top - 1 && li.bottom <= box.bottom + 1;", bySeq(page, question))));
        }
    }

    @Test
    void atCompletesTheNamesOfTheRoomsMembers() throws Exception {
        Room r = room("named");
        try (WsClient other = r.other()) {
            Browser page = r.page();
            String option = "#mention-list li[data-user='" + r.otherName() + "']";
            WebElement input = page.find("#message-input");

            input.sendKeys("@" + r.otherName().substring(0, 4));
            page.visible(option);
            assertTrue(page.findAll("#mention-list li[data-user='" + r.me() + "']").isEmpty(), "one does not mention oneself");
            input.sendKeys(Keys.TAB);
            page.waiter().until(d -> ("@" + r.otherName() + " ").equals(composer(page)));
            assertTrue(page.findAll("#mention-list li").stream().noneMatch(WebElement::isDisplayed), "the list closes once a name is taken");

            input.sendKeys("and @" + r.otherName().substring(0, 3));
            page.visible(option);
            input.sendKeys(Keys.ENTER); // takes the name; does not send
            page.waiter().until(d -> ("@" + r.otherName() + " and @" + r.otherName() + " ").equals(composer(page)));
            input.sendKeys("look", Keys.ENTER);

            Map<String, Object> message = nextOf(other, "message");
            assertEquals(List.of(r.otherName()), message.get("mentions"));
            long seq = ownSeq(page, r.me(), "@" + r.otherName() + " and @" + r.otherName() + " look");
            assertEquals(2, bySeq(page, seq).findElements(By.cssSelector(".text .mention")).size());
        }
    }
}
