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
 * Rooms and read state as the server keeps them, on every device of a user: a room joined on one
 * device is in the list of the others, unread and mention badges agree on all of them and clear on
 * all when one reads, and a new device (or a reload) starts with the server's list and counts.
 */
class ReadStateBrowserTest extends BrowserTestSupport {

    @BeforeAll
    static void startServer() {
        serve(Map.of());
    }

    private static String entry(String room) {
        return "#room-list li.room[data-room='" + room + "']";
    }

    private static void waitBadges(Browser page, String entry, String unread, String mentions) {
        page.waiter().until(d -> unread.equals(page.badge(entry, "unread")) && mentions.equals(page.badge(entry, "mention-count")));
    }

    private static void open(Browser page, String room) {
        page.find(entry(room) + " .room-open").click();
        page.present(entry(room) + ".current");
    }

    @Test
    void roomsAndTheirCountsAreTheSameOnEveryDevice() throws Exception {
        String reader = user("reader");
        String writer = user("writer");
        String room = "news-" + reader;
        List<Browser> pages = desktops(3);
        Browser laptop = pages.get(0);
        Browser phone = pages.get(1);
        laptop.register(base(), reader);
        laptop.waitJoined("general", reader);
        phone.login(base(), reader);
        phone.waitJoined("general", reader);

        laptop.find("#room-input").sendKeys(room, Keys.ENTER);
        laptop.waitJoined(room, reader);
        // the phone never sent join: the room follows the user there, without taking the phone's view
        phone.present(entry(room) + ":not(.joining)");
        phone.present(entry("general") + ".current");
        open(laptop, "general");

        try (WsClient w = server.client(server.token(writer))) {
            w.join(room);
            sayAll(w, "room", room, List.of("first", "@" + reader + " look at this", "third"));
            for (Browser page : List.of(laptop, phone)) {
                waitBadges(page, entry(room), "3", "1");
                page.waiter().until(d -> d.getTitle().startsWith("(3) "));
            }

            // reading on the laptop clears the phone's badges too
            open(laptop, room);
            laptop.message(writer, "third");
            for (Browser page : List.of(laptop, phone)) {
                waitBadges(page, entry(room), "", "");
                page.waiter().until(d -> !d.getTitle().startsWith("("));
            }

            open(laptop, "general");
            sayAll(w, "room", room, List.of("fourth", "fifth"));
            waitBadges(phone, entry(room), "2", "");

            // a device that was never here starts with the server's list and counts, and keeps them over a reload
            Browser tablet = pages.get(2);
            tablet.login(base(), reader);
            tablet.present(entry(room) + ":not(.joining)");
            for (int round = 0; round < 2; round++) {
                waitBadges(tablet, entry(room), "2", "");
                tablet.waiter().until(d -> d.getTitle().startsWith("(2) "));
                if (round == 0) {
                    tablet.driver().navigate().refresh();
                    tablet.waitOnline();
                }
            }

            // leaving on one device takes the room off the others, with a word why
            laptop.find(entry(room) + " .leave-btn").click();
            for (Browser page : List.of(laptop, phone, tablet)) {
                page.waiter().until(d -> page.findAll(entry(room)).isEmpty());
            }
            for (Browser page : List.of(phone, tablet)) {
                page.waiter().until(d -> Browser.text(page.find("#toast")).contains("You left #" + room + " on another device"));
            }
        }
    }

    @Test
    void directConversationsComeFromTheServerWithTheirCounts() throws Exception {
        String reader = user("reader");
        String writer = user("writer");
        String dm = "#dm-list li.dm[data-user='" + writer + "']";
        String readerToken = server.token(reader);
        try (WsClient w = server.client(server.token(writer)); WsClient watch = server.client(readerToken)) {
            w.send(Map.of("type", "send", "to", reader, "text", "@" + reader + " are you there?", "id", "d1"));
            nextOf(w, "ack");
            w.send(Map.of("type", "send", "to", reader, "text", "ping", "id", "d2"));
            long ping = ((Number) nextOf(w, "ack").get("seq")).longValue();
            List<Browser> pages = desktops(2);
            Browser first = pages.get(0);
            first.login(base(), reader);
            waitBadges(first, dm, "2", "1");
            first.find(dm + " .dm-open").click();
            first.message(writer, "ping");
            // the server heard it: the user's other connection (a raw client here) is told
            Map<String, Object> read = nextOf(watch, "read");
            assertEquals(writer, read.get("with"));
            assertEquals(List.of(ping, 0L, 0L), List.of(((Number) read.get("seq")).longValue(),
                    ((Number) read.get("unread")).longValue(), ((Number) read.get("mentions")).longValue()));
            waitBadges(first, dm, "", "");

            // read there, read here: the next device shows the conversation with nothing unread
            Browser second = pages.get(1);
            second.login(base(), reader);
            second.present(dm);
            waitBadges(second, dm, "", "");

            // news while another conversation is in view counts once, and a reload (which fetches
            // the conversation's latest page again) does not count its messages a second time
            first.find("#room-list li.room[data-room='general'] .room-open").click();
            first.present("#room-list li.room.current[data-room='general']");
            w.send(Map.of("type", "send", "to", reader, "text", "one more", "id", "d3"));
            nextOf(w, "ack");
            for (Browser page : pages) {
                waitBadges(page, dm, "1", "");
            }
            first.tapWire();
            first.driver().navigate().refresh();
            first.waitOnline();
            // once the DM's latest page (three messages of the writer) is in, the badge still says one
            first.waiter().until(d -> first.received("history").stream().anyMatch(h -> writer.equals(h.get("with"))));
            assertEquals("1", first.badge(dm, "unread"));
            first.find(dm + " .dm-open").click();
            first.message(writer, "one more");
            assertEquals(3, seqsInView(first).size(), "each message once");
            for (Browser page : pages) {
                assertTrue(page.consoleErrors().isEmpty(), () -> String.valueOf(page.consoleErrors()));
            }
        }
    }
}
