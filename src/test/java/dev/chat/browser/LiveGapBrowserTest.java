package dev.chat.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.WsClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;

/**
 * Messages that do not reach a connected page in order: the page's wire tap drops or rewrites
 * them on their way (as a lost delivery, or a store that answered {@code unavailable} after
 * committing, would), against any server. The page fetches what it missed, keeps its rejoin
 * {@code since} at the last seq with nothing missing below it, and counts its own message's echo
 * as its ack.
 */
class LiveGapBrowserTest extends BrowserTestSupport {

    @BeforeAll
    static void startServer() {
        serve(Map.of("CHAT_RATE_PER_SEC", "1000", "CHAT_RATE_BURST", "1000"));
    }

    @Test
    void aMessageLostOnTheWayIsFetchedOnceThoughABurstFollowsIt() throws Exception {
        String alice = user("alice");
        String room = "lossy-" + alice;
        Browser a = pageIn(alice, room);
        a.wireRule("f => f.type === 'message' && !f.replay && f.text === 'Lost on the way' ? null : f");
        List<String> burst = IntStream.rangeClosed(1, 20).mapToObj(i -> "Burst " + i).toList();
        try (WsClient b = writer(user("bob"), room)) {
            sayAll(b, "room", room, List.of("First"));
            a.waiter().until(d -> seqsInView(a).equals(seqs(1, 1)));
            sayAll(b, "room", room, Stream.concat(Stream.of("Lost on the way"), burst.stream()).toList());
            a.waiter().until(d -> seqsInView(a).equals(seqs(1, 22)));
        }
        assertEquals(1, a.tapChanges(), "seq 2 was dropped on its way to the page");
        List<Map<String, Object>> requests = historyRequests(a, "room", room);
        assertEquals(List.of(Map.of("before", 3L, "limit", 1L)), requests.stream()
                .map(h -> Map.of("before", h.get("before"), "limit", h.get("limit"))).toList(),
                "one request for the one missing seq, however many messages followed it");
        List<String> expected = new ArrayList<>(List.of("First", "Lost on the way"));
        expected.addAll(burst);
        assertEquals(expected, textsInView(a));
        assertNoDuplicateSeqs(a);
    }

    @Test
    void aDirectMessageLostOnTheWayIsFetched() throws Exception {
        String alice = user("alice");
        String bob = user("bob");
        String bobToken = server.token(bob);
        Browser a = desktops(1).get(0);
        a.tapWire();
        a.register(base(), alice);
        a.find("#dm-input").sendKeys(bob, Keys.ENTER);
        a.present("#dm-list li.dm.current[data-user='" + bob + "']");
        a.waiter().until(d -> a.received("history").stream().anyMatch(h -> bob.equals(h.get("with"))));
        a.wireRule("f => f.type === 'message' && f.text === 'Second' ? null : f");
        try (WsClient b = server.client(bobToken)) {
            sayAll(b, "to", alice, List.of("First"));
            a.waiter().until(d -> seqsInView(a).equals(seqs(1, 1)));
            sayAll(b, "to", alice, List.of("Second", "Third"));
            a.waiter().until(d -> seqsInView(a).equals(seqs(1, 3)));
        }
        assertEquals(1, a.tapChanges());
        List<Map<String, Object>> requests = historyRequests(a, "with", bob).stream().filter(h -> h.containsKey("before")).toList();
        assertEquals(List.of(Map.of("before", 3L, "limit", 1L)), requests.stream()
                .map(h -> Map.of("before", h.get("before"), "limit", h.get("limit"))).toList());
        assertEquals(List.of("First", "Second", "Third"), textsInView(a));
        assertNoDuplicateSeqs(a);
    }

    @Test
    void aRejoinAsksFromTheLastSeqWithNothingMissingBelowItNotFromTheLastAck() throws Exception {
        String alice = user("alice");
        String room = "acked-" + alice;
        Browser a = pageIn(alice, room);
        a.wireRule("f => f.type === 'message' && !f.replay && (f.text === 'Second' || f.text === 'Third') ? null : f");
        try (WsClient b = writer(user("bob"), room)) {
            sayAll(b, "room", room, List.of("First"));
            a.waiter().until(d -> seqsInView(a).equals(seqs(1, 1)));
            sayAll(b, "room", room, List.of("Second", "Third"));
            a.waiter().until(d -> a.tapChanges() == 2);
            a.send("Mine");
            WebElement mine = a.message(alice, "Mine");
            a.waiter().until(d -> "4".equals(mine.getDomAttribute("data-seq")));
            assertEquals(List.of(1L, 4L), seqsInView(a), "2 and 3 never arrived; our own ack is 4");

            cutOff(a, alice);
            a.offline(false);
            a.waiter().until(d -> seqsInView(a).equals(seqs(1, 4)));
        }
        List<Map<String, Object>> rejoins = a.sent("join").stream()
                .filter(j -> room.equals(j.get("room")) && j.containsKey("since")).toList();
        assertEquals(1L, rejoins.get(rejoins.size() - 1).get("since"), "since: seq 1, below the missing 2 and 3");
        assertEquals(List.of("First", "Second", "Third", "Mine"), textsInView(a));
        assertEquals(1, count(a, alice, "Mine"));
        assertNoDuplicateSeqs(a);
    }

    @Test
    void aSendAnsweredUnavailableCountsAsSentWhenItsEchoComesBack() throws Exception {
        String alice = user("alice");
        String room = "echo-" + alice;
        Browser a = pageIn(alice, room);
        a.wireRule(firstAckUnavailable(room));
        WebElement own;
        try (WsClient b = writer(user("bob"), room)) {
            sayAll(b, "room", room, List.of("Before"));
            a.waiter().until(d -> seqsInView(a).equals(seqs(1, 1)));
            a.send("Maybe stored");
            a.waiter().until(d -> a.tapChanges() == 1);
            own = a.message(alice, "Maybe stored");
            assertTrue(own.getDomAttribute("class").contains("pending"), "unavailable: still pending");
            // cut off before the retry is due: the rejoin's replay brings the message back with its id
            cutOff(a, alice);
            a.offline(false);
            a.waiter().until(d -> own.getDomAttribute("class").contains("sent"));
        }
        assertEquals("2", own.getDomAttribute("data-seq"));
        assertEquals(List.of("Before", "Maybe stored"), textsInView(a));
        assertEquals(1, count(a, alice, "Maybe stored"), "its echo is the message, not a second one");
        assertEquals(1, a.sent("send").stream().filter(s -> "Maybe stored".equals(s.get("text"))).count(),
                "not sent again: the echo was its ack");
        assertTrue(a.findAll("#messages li.msg.pending").isEmpty());
    }

    @Test
    void aSendAnsweredUnavailableIsSentAgainWithTheSameIdAndShownOnce() throws Exception {
        String alice = user("alice");
        String room = "retry-" + alice;
        Browser a = pageIn(alice, room);
        a.wireRule(firstAckUnavailable(room));
        List<Map<String, Object>> seenByBob = new ArrayList<>();
        try (WsClient b = writer(user("bob"), room)) {
            a.send("Try again");
            WebElement own = a.message(alice, "Try again");
            // sent again after 3 s with the same id; the server knows it and acks it with its seq
            a.waiter().until(d -> own.getDomAttribute("class").contains("sent"));
            assertEquals("1", own.getDomAttribute("data-seq"));
            a.send("After it");
            Map<String, Object> frame;
            do {
                frame = b.next();
                seenByBob.add(frame);
            } while (!"After it".equals(frame.get("text")));
        }
        List<Map<String, Object>> sends = a.sent("send").stream().filter(s -> "Try again".equals(s.get("text"))).toList();
        assertEquals(2, sends.size(), "sent, answered unavailable, sent again");
        assertEquals(sends.get(0).get("id"), sends.get(1).get("id"), "with the same id");
        assertEquals(1, seenByBob.stream().filter(f -> "Try again".equals(f.get("text"))).count(), "stored once");
        assertEquals(1, count(a, alice, "Try again"));
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

    /** A tap rule that answers the page's first send in the room with {@code unavailable} instead of its ack. */
    private static String firstAckUnavailable(String room) {
        return "(() => { let done = false; return (f) => {"
                + " if (done || f.type !== 'ack' || f.room !== '" + room + "') return f;"
                + " done = true;"
                + " return {type: 'error', code: 'unavailable', message: 'the store is unavailable; resend', id: f.id}; }; })()";
    }

    private static List<Map<String, Object>> historyRequests(Browser page, String key, String value) {
        return page.sent("history").stream().filter(h -> value.equals(h.get(key))).toList();
    }
}
