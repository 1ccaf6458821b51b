package dev.chat.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.WsClient;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;

/**
 * A page that comes back after missing more than the server replays: what it showed stays, the
 * latest messages come in below a line that marks the gap, and the gap is filled from the history
 * page by page until nothing is missing (the line goes), or stays marked where the history no
 * longer holds it.
 *
 * <p>The server replays at most 5 messages of a gap ({@code CHAT_REPLAY_LIMIT}, answering
 * {@code recovered:false} with the latest {@code CHAT_HISTORY_ON_JOIN}), a setting of the durable
 * server. The tests that emulate such an answer with the page's wire tap run against any server;
 * {@link #aGapLongerThanTheReplayIsFilledFromTheHistoryAndWhatWasShownStays} relies on the server
 * itself and says so when it replayed the whole gap instead.
 */
class GapFillBrowserTest extends BrowserTestSupport {
    private static final String FILL_NOTICE = "Loading earlier messages…";
    private static final String GAP_NOTICE = "Some messages could not be recovered";

    @BeforeAll
    static void startServer() {
        serve(Map.of("CHAT_REPLAY_LIMIT", "5", "CHAT_HISTORY_ON_JOIN", "5",
                // a fast writer fills the gap without hitting the rate limit
                "CHAT_RATE_PER_SEC", "1000", "CHAT_RATE_BURST", "1000"));
    }

    @Test
    void aGapLongerThanTheReplayIsFilledFromTheHistoryAndWhatWasShownStays() throws Exception {
        String alice = user("alice");
        String room = "gap-" + alice;
        Browser a = pageIn(alice, room);
        List<WebElement> shown;
        try (WsClient b = writer(user("bob"), room)) {
            sayAll(b, "room", room, lines(1, 3));
            a.waiter().until(d -> seqsInView(a).equals(seqs(1, 3)));
            shown = a.findAll("#messages li.msg[data-seq]");
            watchRemovals(a);
            cutOff(a, alice);
            sayAll(b, "room", room, lines(4, 23));
            a.offline(false);
            Map<String, Object> rejoined = a.waiter().until(d -> rejoin(a, room));
            assertEquals(Boolean.FALSE, rejoined.get("recovered"), "premise: a gap of 20 is more than the server "
                    + "replays with CHAT_REPLAY_LIMIT=5 (the durable server's setting), so it answers recovered:false");
            a.waiter().until(d -> seqsInView(a).equals(seqs(1, 23)));
        }
        assertEquals(lines(1, 23), textsInView(a), "every message once, in seq order");
        assertNoDuplicateSeqs(a);
        assertEquals(List.of(), removedMessages(a), "nothing shown was taken out of the list");
        for (WebElement m : shown) {
            assertEquals(Boolean.TRUE, a.js("return arguments[0].isConnected;", m), "messages 1..3 are the same elements");
        }
        assertTrue(a.findAll("#messages li.gap-notice").isEmpty(), "no gap line once the gap is filled");
    }

    @Test
    void aGapTheServerDidNotReplayIsFilledPageByPageBelowALoadingLine() throws Exception {
        String alice = user("alice");
        String room = "pages-" + alice;
        Browser a = pageIn(alice, room);
        try (WsClient b = writer(user("bob"), room)) {
            sayAll(b, "room", room, lines(1, 3));
            a.waiter().until(d -> seqsInView(a).equals(seqs(1, 3)));
            watchRemovals(a);
            watchGapLines(a);
            a.wireRule(replayOfTheLatest(room, 5, 123));
            cutOff(a, alice);
            sayAll(b, "room", room, lines(4, 123));
            a.offline(false);
            a.waiter().until(d -> seqsInView(a).equals(seqs(1, 123)));
        }
        assertEquals(List.of(119L, 69L, 19L), historyRequests(a, room).stream().map(h -> h.get("before")).toList(),
                "pages of 50 from the lowest replayed seq down to the gap's start");
        assertTrue(historyRequests(a, room).stream().allMatch(h -> Long.valueOf(50).equals(h.get("limit"))));
        List<Map<String, Object>> lines = gapLinesAdded(a);
        assertEquals(Map.of("text", FILL_NOTICE, "above", "3", "below", "119"), lines.get(0),
                "the line marks the gap: below what was shown, above the replayed latest");
        assertTrue(lines.stream().allMatch(l -> FILL_NOTICE.equals(l.get("text")) && "3".equals(l.get("above"))), lines::toString);
        assertEquals(lines(1, 123), textsInView(a));
        assertNoDuplicateSeqs(a);
        assertEquals(List.of(), removedMessages(a), "nothing shown was taken out of the list");
        assertTrue(a.findAll("#messages li.gap-notice").isEmpty(), "no gap line once the gap is filled");
    }

    @Test
    void aStretchTheHistoryNoLongerHoldsStaysMarkedAndTheRestIsFilled() throws Exception {
        String alice = user("alice");
        String room = "retained-" + alice;
        Browser a = pageIn(alice, room);
        try (WsClient b = writer(user("bob"), room)) {
            sayAll(b, "room", room, lines(1, 3));
            a.waiter().until(d -> seqsInView(a).equals(seqs(1, 3)));
            watchRemovals(a);
            // as if retention had deleted 4..10: the history answers without them
            a.wireRule("f => f.type === 'history' && f.room === '" + room + "'"
                    + " ? {...f, messages: f.messages.filter(m => m.seq < 4 || m.seq > 10)}"
                    + " : (" + replayOfTheLatest(room, 5, 23) + ")(f)");
            cutOff(a, alice);
            sayAll(b, "room", room, lines(4, 23));
            a.offline(false);
            a.waiter().until(d -> seqsInView(a).size() == 16);
            assertEquals(concat(seqs(1, 3), seqs(11, 23)), seqsInView(a));
            WebElement line = a.present("#messages li.gap-notice");
            assertEquals(GAP_NOTICE, Browser.text(line.findElement(org.openqa.selenium.By.cssSelector(".system-text"))));
            assertEquals(List.of("3", "11"), a.js("const n = arguments[0];"
                    + "return [n.previousElementSibling.dataset.seq, n.nextElementSibling.dataset.seq];", line),
                    "the line is where the messages are missing");
            assertTrue(a.findAll("#messages li.gap-notice.filling").isEmpty(), "no longer loading");

            // the seqs went on past the stretch: the next message is simply the next one
            sayAll(b, "room", room, lines(24, 24));
            a.waiter().until(d -> seqsInView(a).contains(24L));
        }
        assertEquals(1, historyRequests(a, room).size(), "the gap was asked for once, not again on the next message");
        assertEquals(1, a.findAll("#messages li.gap-notice").size());
        assertEquals(List.of(), removedMessages(a));
        assertNoDuplicateSeqs(a);
    }

    @Test
    void aDirectConversationWhoseLatestPageMissesMoreIsFilledBelowIt() throws Exception {
        String alice = user("alice");
        String bob = user("bob");
        String bobToken = server.token(bob);
        Browser a = desktops(1).get(0);
        a.tapWire();
        a.register(base(), alice);
        a.find("#dm-input").sendKeys(bob, Keys.ENTER);
        a.present("#dm-list li.dm.current[data-user='" + bob + "']");
        try (WsClient b = server.client(bobToken)) {
            sayAll(b, "to", alice, lines(1, 3));
            a.waiter().until(d -> seqsInView(a).equals(seqs(1, 3)));
            watchRemovals(a);
            cutOff(a, alice);
            // more than the latest page (50) that the page asks for after a reconnect
            sayAll(b, "to", alice, lines(4, 63));
            a.offline(false);
            a.waiter().until(d -> seqsInView(a).equals(seqs(1, 63)));
        }
        List<Map<String, Object>> pages = a.sent("history").stream()
                .filter(h -> bob.equals(h.get("with")) && h.containsKey("before")).toList();
        assertEquals(List.of(14L), pages.stream().map(h -> h.get("before")).toList(), "the gap below the latest page");
        assertEquals(lines(1, 63), textsInView(a));
        assertNoDuplicateSeqs(a);
        assertEquals(List.of(), removedMessages(a), "nothing shown was taken out of the list");
        assertTrue(a.findAll("#messages li.gap-notice").isEmpty());
    }

    /** A page with the wire tap, registered, in {@code room}. */
    private Browser pageIn(String user, String room) {
        Browser page = desktops(1).get(0);
        page.tapWire();
        page.register(base(), user);
        page.waitJoined("general", user);
        page.find("#room-input").sendKeys(room, Keys.ENTER);
        page.waitJoined(room, user);
        return page;
    }

    private static WsClient writer(String user, String room) throws Exception {
        WsClient client = server.client(server.token(user));
        client.join(room);
        return client;
    }

    static List<String> lines(int from, int to) {
        return IntStream.rangeClosed(from, to).mapToObj(i -> "Line " + i).toList();
    }

    private static List<Long> concat(List<Long> first, List<Long> second) {
        return java.util.stream.Stream.concat(first.stream(), second.stream()).toList();
    }

    /**
     * A tap rule that turns a rejoin's full replay into what a server replaying at most
     * {@code keep} messages of a gap sends: only the latest {@code keep} (of a room whose latest
     * seq is {@code latest}), and {@code recovered:false}. A server that does so by itself passes
     * through unchanged.
     */
    private static String replayOfTheLatest(String room, int keep, int latest) {
        return "f => f.room !== '" + room + "' ? f"
                + " : f.type === 'message' && f.replay && f.seq <= " + (latest - keep) + " ? null"
                + " : f.type === 'joined' && f.recovered === true ? {...f, recovered: false}"
                + " : f";
    }

    /** The last {@code joined} of a join with {@code since} (a rejoin) of this room, or null. */
    private static Map<String, Object> rejoin(Browser page, String room) {
        List<Map<String, Object>> joins = page.received("joined").stream()
                .filter(j -> room.equals(j.get("room")) && j.containsKey("recovered")).toList();
        return joins.isEmpty() ? null : joins.get(joins.size() - 1);
    }

    private static List<Map<String, Object>> historyRequests(Browser page, String room) {
        return page.sent("history").stream().filter(h -> room.equals(h.get("room"))).toList();
    }

    /** From now on the page records each gap line put into the list: its text and the seqs just above and below it. */
    private static void watchGapLines(Browser page) {
        page.js("const added = window.gapLinesAdded = [];"
                + "new MutationObserver((records) => { for (const r of records) for (const n of r.addedNodes)"
                + "  if (n.nodeType === 1 && n.matches('li.gap-notice')) added.push({"
                + "    text: n.querySelector('.system-text').textContent,"
                + "    above: n.previousElementSibling?.dataset.seq ?? 'none', below: n.nextElementSibling?.dataset.seq ?? 'none'}); })"
                + ".observe(document.getElementById('messages'), {childList: true});");
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> gapLinesAdded(Browser page) {
        return (List<Map<String, Object>>) page.js("return window.gapLinesAdded;");
    }
}
