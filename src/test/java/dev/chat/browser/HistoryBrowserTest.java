package dev.chat.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.WsClient;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;

/** Older messages, loaded page by page as the user scrolls up. */
class HistoryBrowserTest extends BrowserTestSupport {

    @BeforeAll
    static void startServer() {
        // a fast writer fills a room's history without hitting the rate limit
        serve(Map.of("CHAT_RATE_PER_SEC", "1000", "CHAT_RATE_BURST", "1000"));
    }

    @Test
    void scrollingToTheTopLoadsOlderPagesUntilTheFirstMessage() throws Exception {
        String writer = user("writer");
        String reader = user("reader");
        String room = "archive-" + reader;
        try (WsClient w = server.client(server.token(writer))) {
            w.join(room);
            for (int i = 1; i <= 120; i++) {
                w.say(room, "Line " + i);
            }
        }
        Browser page = desktops(1).get(0);
        page.register(base(), reader);
        page.find("#room-input").sendKeys(room, Keys.ENTER);
        page.waitJoined(room, reader);
        page.waiter().until(d -> seqsInView(page).size() == 50);
        assertEquals(LongStream.rangeClosed(71, 120).boxed().collect(Collectors.toList()), seqsInView(page),
                "the join replays the last 50");

        page.js("document.getElementById('messages').scrollTop = 0;");
        page.waiter().until(d -> seqsInView(page).size() == 100);
        assertTrue(((Number) page.js("return document.getElementById('messages').scrollTop;")).doubleValue() > 100,
                "the view stays on what the user was reading, not on the prepended page");
        assertEquals(71L, ((Number) page.js("const m = document.querySelector('#messages li.msg[data-seq=\"71\"]');"
                + "const l = document.getElementById('messages');"
                + "return m.offsetTop - l.scrollTop < l.clientHeight ? 71 : 0;")).longValue(), "seq 71 still in view");

        page.js("document.getElementById('messages').scrollTop = 0;");
        page.waiter().until(d -> seqsInView(page).size() == 120);
        page.js("document.getElementById('messages').scrollTop = 0;");
        assertEquals(LongStream.rangeClosed(1, 120).boxed().collect(Collectors.toList()), seqsInView(page));
        assertEquals("Line 1", Browser.text(page.find("#messages li.msg[data-seq='1'] .text")));
        assertEquals(1, page.findAll("#messages li.msg[data-seq='1']").size());
        assertTrue(page.findAll("#messages li.msg").stream().allMatch(m -> m.findElements(By.cssSelector(".text")).size() == 1));
    }
}
