package dev.chat.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;

/**
 * After an outage the page has many more own messages to send than the server's burst: the ones it
 * has no ack for and the ones written offline. It paces them within the connection's bucket
 * (served by /api/protocol), so none is refused (`rate_limited`) and the page is never closed as
 * a flooder (4003); each is sent once per connection and ends with its seq (a resent one, its first).
 * Bucket: 4 frames a second, burst 6; the page uses half of it for its own messages.
 */
class ResendBrowserTest extends BrowserTestSupport {
    private static final int MESSAGES = 14;

    @BeforeAll
    static void startServer() {
        // a short replay limit: a rejoin after a longer gap replays the latest messages only, and the
        // page resends its unacked ones that were not among them before the gap is filled
        serve(Map.of("CHAT_RATE_PER_SEC", "4", "CHAT_RATE_BURST", "6", "CHAT_REPLAY_LIMIT", "5", "CHAT_HISTORY_ON_JOIN", "3"));
    }

    private static List<String> texts(String prefix) {
        return IntStream.rangeClosed(1, MESSAGES).mapToObj(i -> prefix + " " + i).toList();
    }

    private static void assertAllSentWithSeqs(Browser page, String me, List<String> texts) {
        page.waiter(Duration.ofSeconds(30)).until(d -> d.findElements(By.cssSelector("#messages li.msg.pending")).isEmpty());
        assertTrue(page.findAll("#messages li.msg.failed").isEmpty(), "no message failed");
        for (String text : texts) {
            String seq = page.message(me, text).getDomAttribute("data-seq");
            assertTrue(seq != null && !seq.isEmpty(), text + " has its seq");
        }
        assertTrue(page.received("error").isEmpty(), "no error, rate_limited least of all: " + page.received("error"));
        assertNoDuplicateSeqs(page);
    }

    @Test
    void messagesWrittenOfflineGoOutPacedAndNoneIsRefused() {
        String alice = user("alice");
        Browser a = desktops(1).get(0);
        a.tapWire();
        a.register(base(), alice);
        a.waitJoined("general", alice);

        cutOff(a, alice);
        List<String> texts = texts("Offline");
        texts.forEach(a::send);
        a.offline(false);

        assertAllSentWithSeqs(a, alice, texts);
        Map<Object, Long> sends = a.sent("send").stream().collect(Collectors.groupingBy(f -> f.get("id"), Collectors.counting()));
        assertEquals(MESSAGES, sends.size());
        assertTrue(sends.values().stream().allMatch(n -> n == 1), "each sent once: " + sends);
    }

    @Test
    void messagesWhoseAcksWereLostAreResentAfterTheOutageAndKeepTheirFirstSeqs() {
        String alice = user("alice");
        Browser a = desktops(1).get(0);
        a.tapWire();
        a.register(base(), alice);
        a.waitJoined("general", alice);

        a.wireRule("f => f.type === 'ack' ? null : f"); // committed, but the page never hears of it
        List<String> texts = texts("Unacked");
        // no keystrokes: typed at a robot's speed, each message's "typing" frame would overrun this
        // small bucket by itself (a person types far slower than 4 messages a second)
        for (String text : texts) {
            a.js("document.getElementById('message-input').value = arguments[0];", text);
            a.find("#message-input").sendKeys(Keys.ENTER);
        }
        a.waiter(Duration.ofSeconds(30)).until(d -> a.received("ack").size() == MESSAGES);
        Map<Object, Object> firstSeqs = new HashMap<>();
        a.received("ack").forEach(ack -> firstSeqs.put(ack.get("id"), ack.get("seq")));
        assertEquals(MESSAGES, a.findAll("#messages li.msg.pending").size());

        cutOff(a, alice);
        a.wireRule("f => f");
        a.offline(false);

        assertAllSentWithSeqs(a, alice, texts);
        List<Map<String, Object>> sends = a.sent("send");
        // the latest three came back in the replay (their acks); the others went again until the
        // gap fill brought them back too
        assertTrue(sends.size() > MESSAGES, "some were resent: " + sends.size());
        for (Map<String, Object> send : sends) {
            String seq = a.message(alice, (String) send.get("text")).getDomAttribute("data-seq");
            assertEquals(String.valueOf(firstSeqs.get(send.get("id"))), seq, send.get("text") + " keeps its first seq");
        }
        for (Map<String, Object> ack : a.received("ack")) {
            assertEquals(firstSeqs.get(ack.get("id")), ack.get("seq"), "the resend of " + ack.get("id") + " has its first seq");
        }
    }
}
