package dev.chat.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.WsClient;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Keys;

/**
 * What the page shows of edits, deletes, reactions, replies and mentions another member makes: live,
 * and the same after a reload, when it all comes back from the history as it stands.
 */
class MessageChangesBrowserTest extends BrowserTestSupport {

    @BeforeAll
    static void startServer() {
        serve(Map.of());
    }

    private static long ack(WsClient c) throws InterruptedException {
        Map<String, Object> f;
        while (!"ack".equals((f = c.next()).get("type"))) {
            // the page user's presence
        }
        return ((Number) f.get("seq")).longValue();
    }

    /** The page's gap-free seq of the room, as it keeps it for its next join's since. */
    private static Long storedSeq(Browser page, String room) {
        Object seq = page.js("const s = JSON.parse(sessionStorage.getItem('chat.seqs') || '{}'); return s[arguments[0]] ?? null;", room);
        return seq == null ? null : ((Number) seq).longValue();
    }

    @Test
    void anotherMembersChangesShowLiveAndAfterAReload() throws Exception {
        String reader = user("reader");
        String writer = user("writer");
        String room = "changes-" + reader;
        Browser page = desktops(1).get(0);
        page.register(base(), reader);
        page.find("#room-input").sendKeys(room, Keys.ENTER);
        page.waitJoined(room, reader);
        try (WsClient w = server.client(server.token(writer))) {
            w.join(room);
            w.send(Map.of("type", "send", "room", room, "text", "lunch at noon?", "id", "m1"));
            long first = ack(w);
            w.send(Map.of("type", "send", "room", room, "text", "@" + reader + " are you in?", "replyTo", first, "id", "m2"));
            long reply = ack(w);
            w.send(Map.of("type", "send", "room", room, "text", "typo here", "id", "m3"));
            long typo = ack(w);
            w.send(Map.of("type", "edit", "room", room, "target", typo, "text", "fixed here", "id", "e1"));
            ack(w);
            w.send(Map.of("type", "react", "room", room, "target", first, "emoji", "👍", "id", "r1"));
            ack(w);
            w.send(Map.of("type", "send", "room", room, "text", "never mind", "id", "m4"));
            long gone = ack(w);
            w.send(Map.of("type", "delete", "room", room, "target", gone, "id", "d1"));
            long last = ack(w);

            for (int round = 0; round < 2; round++) {
                String at = round == 0 ? "live" : "after a reload";
                page.present("#messages li.msg[data-seq='" + gone + "'].deleted");
                assertEquals("This message was deleted.", Browser.text(page.find("#messages li.msg[data-seq='" + gone + "'] .text")), at);
                assertEquals("fixed here", Browser.text(page.find("#messages li.msg[data-seq='" + typo + "'] .text")), at);
                assertTrue(page.findAll("#messages li.msg[data-seq='" + typo + "'] .meta .edited").size() == 1, at);
                assertEquals("👍1", Browser.text(page.find("#messages li.msg[data-seq='" + first + "'] .reactions .reaction")).replace(" ", ""), at);
                assertEquals("@" + reader, Browser.text(page.find("#messages li.msg[data-seq='" + reply + "'] .text .mention.me")), at);
                assertEquals("lunch at noon?", Browser.text(page.find("#messages li.msg[data-seq='" + reply + "'] .reply-quote .reply-snippet")), at);
                List<Long> seqs = seqsInView(page);
                assertEquals(List.of(first, reply, typo, gone), seqs, at + ": changes are no messages of their own");
                assertTrue(page.consoleErrors().isEmpty(), () -> at + ": " + page.consoleErrors());
                // every seq up to the delete is accounted for: nothing is asked for again as a gap
                page.waiter().until(d -> Long.valueOf(last).equals(storedSeq(page, room)));
                if (round == 0) {
                    page.driver().navigate().refresh();
                    page.waitOnline();
                    page.waitJoined(room, reader);
                }
            }
        }
    }
}
