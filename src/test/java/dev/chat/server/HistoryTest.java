package dev.chat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.SeededUsers;
import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * History and gap-free recovery on one node: a client that comes back with {@code since} gets
 * exactly the messages it missed, in order, once; a gap the history no longer holds is said so
 * plainly; a resent id is not published twice; paging back works.
 */
@Timeout(120)
class HistoryTest {
    private static TestServer server;
    private static int rooms;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("CHAT_HISTORY_SIZE", "1000", "CHAT_HISTORY_ON_JOIN", "3",
                        "CHAT_RATE_PER_SEC", "100000", "CHAT_RATE_BURST", "100000", "CHAT_OUTBOX_MAX_MESSAGES", "5000"),
                SeededUsers.create("h-alice", "h-bob", "h-carol").dataDir());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static String room() {
        return "hist-" + (++rooms);
    }

    private static WsClient client(String user) throws Exception {
        return server.client(SeededUsers.token(user));
    }

    private static long seq(Map<String, Object> f) {
        return ((Number) f.get("seq")).longValue();
    }

    /** Joins with {@code since}; returns the replayed messages, checking that joined follows them. */
    private static List<Map<String, Object>> rejoin(WsClient c, String room, Long since, Map<String, Object> joinedOut) throws Exception {
        Map<String, Object> join = new HashMap<>(Map.of("type", "join", "room", room, "id", "rj"));
        if (since != null) {
            join.put("since", since);
        }
        c.send(join);
        List<Map<String, Object>> replayed = new ArrayList<>();
        while (true) {
            Map<String, Object> f = c.next();
            if ("joined".equals(f.get("type"))) {
                joinedOut.putAll(f);
                return replayed;
            }
            assertEquals("message", f.get("type"), f::toString);
            assertEquals(Boolean.TRUE, f.get("replay"), f::toString);
            replayed.add(f);
        }
    }

    private static void fill(WsClient sender, String room, int n, String prefix) throws Exception {
        for (int i = 0; i < n; i++) {
            sender.send(Map.of("type", "send", "room", room, "text", prefix + i, "id", prefix + i));
        }
        int acks = 0;
        while (acks < n) {
            Map<String, Object> f = sender.next();
            if ("ack".equals(f.get("type"))) {
                acks++;
            } else {
                assertEquals("presence", f.get("type"), f::toString); // joiners come and go meanwhile
            }
        }
    }

    @Test
    void aJoinWithoutSinceGetsTheLastMessagesThenJoinedWithTheLatestSeq() throws Exception {
        String room = room();
        try (WsClient alice = client("h-alice"); WsClient bob = client("h-bob")) {
            alice.join(room);
            fill(alice, room, 5, "m");
            Map<String, Object> joined = new HashMap<>();
            List<Map<String, Object>> replayed = rejoin(bob, room, null, joined);
            assertEquals(List.of(3L, 4L, 5L), replayed.stream().map(HistoryTest::seq).toList());
            assertEquals("m2", replayed.get(0).get("text"));
            assertEquals(5L, seq(joined));
            assertNull(joined.get("recovered"), "recovered only answers a since");
        }
    }

    @Test
    void aClientThatComesBackWithSinceGetsExactlyWhatItMissed() throws Exception {
        String room = room();
        try (WsClient alice = client("h-alice")) {
            alice.join(room);
            WsClient bob = client("h-bob");
            bob.join(room);
            alice.expect("presence");
            alice.say(room, "seen");
            long last = seq(bob.expect("message"));
            bob.close();
            assertEquals("left", alice.expect("presence").get("state"));
            fill(alice, room, 100, "missed");
            try (WsClient back = client("h-bob")) {
                Map<String, Object> joined = new HashMap<>();
                List<Map<String, Object>> replayed = rejoin(back, room, last, joined);
                List<Long> expected = new ArrayList<>();
                for (long s = last + 1; s <= last + 100; s++) {
                    expected.add(s);
                }
                assertEquals(expected, replayed.stream().map(HistoryTest::seq).toList());
                assertEquals("missed0", replayed.get(0).get("text"));
                assertEquals(Boolean.TRUE, joined.get("recovered"));
                assertEquals(last + 100, seq(joined));
                back.assertNothingPending(room);
            }
        }
    }

    @Test
    void aGapLongerThanTheReplayLimitIsAFreshViewAndHistoryPagesBackOverIt() throws Exception {
        try (TestServer small = restartWith(Map.of("CHAT_REPLAY_LIMIT", "10", "CHAT_HISTORY_ON_JOIN", "2"))) {
            String room = room();
            try (WsClient alice = small.client(SeededUsers.token("h-alice")); WsClient bob = small.client(SeededUsers.token("h-bob"))) {
                alice.join(room);
                fill(alice, room, 30, "x");
                Map<String, Object> joined = new HashMap<>();
                List<Map<String, Object>> replayed = rejoin(bob, room, 5L, joined);
                assertEquals(Boolean.FALSE, joined.get("recovered"));
                assertEquals(30L, seq(joined));
                assertEquals(List.of(29L, 30L), replayed.stream().map(HistoryTest::seq).toList(), "a fresh view instead");
                // the database still holds the whole gap: the client pages back over it
                bob.send(Map.of("type", "history", "room", room, "before", 29, "limit", 50, "id", "gap"));
                List<?> page = (List<?>) bob.expect("history").get("messages");
                assertEquals(java.util.stream.LongStream.rangeClosed(1, 28).boxed().toList(),
                        page.stream().map(m -> seq(cast(m))).toList());
            }
        } finally {
            start();
        }
    }

    /** Stops the class's server and starts one with other settings on the same seeded users. */
    private static TestServer restartWith(Map<String, String> settings) {
        server.close();
        return TestServer.start(settings, SeededUsers.create("h-alice", "h-bob", "h-carol").dataDir());
    }

    @Test
    void aSinceAheadOfTheRoomIsNotRecovered() throws Exception {
        String room = room();
        try (WsClient alice = client("h-alice")) {
            alice.join(room);
            alice.say(room, "one");
            try (WsClient bob = client("h-bob")) {
                Map<String, Object> joined = new HashMap<>();
                rejoin(bob, room, 50L, joined);
                assertEquals(Boolean.FALSE, joined.get("recovered"));
            }
        }
    }

    @Test
    void resendingAnIdGivesTheSameAckAndOneMessage() throws Exception {
        String room = room();
        try (WsClient alice = client("h-alice"); WsClient bob = client("h-bob")) {
            alice.join(room);
            bob.join(room);
            alice.expect("presence");
            Map<String, Object> send = Map.of("type", "send", "room", room, "text", "once", "id", "dup-1");
            alice.send(send);
            Map<String, Object> first = alice.expect("ack");
            alice.send(send);
            assertEquals(first, alice.expect("ack"));
            assertEquals("once", bob.expect("message").get("text"));
            assertEquals(seq(first) + 1, alice.say(room, "next"), "the resend used no seq");
            assertEquals("next", bob.expect("message").get("text"));
            bob.assertNothingPending(room);
        }
    }

    @Test
    void messagesSentDuringTheReplayAreNeitherLostNorDoubled() throws Exception {
        String room = room();
        try (WsClient alice = client("h-alice")) {
            alice.join(room);
            fill(alice, room, 400, "pre");
            int during = 400;
            CompletableFuture<Void> publishing = CompletableFuture.runAsync(() -> {
                try {
                    fill(alice, room, during, "live");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            for (int joiner = 0; joiner < 5; joiner++) {
                try (WsClient bob = client(joiner % 2 == 0 ? "h-bob" : "h-carol")) {
                    Map<String, Object> joined = new HashMap<>();
                    List<Long> seen = new ArrayList<>(rejoin(bob, room, 0L, joined).stream().map(HistoryTest::seq).toList());
                    assertEquals(Boolean.TRUE, joined.get("recovered"));
                    long latest = seq(joined);
                    assertEquals(latest, seen.size(), "replay is 1..latest");
                    // then live, up to whatever the publisher has reached: the next seqs, each once
                    bob.send(Map.of("type", "leave", "room", room, "id", "bye"));
                    Map<String, Object> f;
                    while (!"left".equals((f = bob.next()).get("type"))) {
                        if ("message".equals(f.get("type"))) {
                            seen.add(seq(f));
                        }
                    }
                    for (int i = 0; i < seen.size(); i++) {
                        assertEquals(i + 1, seen.get(i), "seq " + (i + 1) + " exactly once, in order");
                    }
                    assertTrue(seen.size() >= 400);
                }
            }
            publishing.get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void historyPagesBackward() throws Exception {
        String room = room();
        try (WsClient alice = client("h-alice")) {
            alice.join(room);
            fill(alice, room, 120, "p");
            alice.send(Map.of("type", "history", "room", room, "before", 101, "limit", 50, "id", "h1"));
            Map<String, Object> page = alice.expect("history");
            assertEquals("h1", page.get("id"));
            List<?> messages = (List<?>) page.get("messages");
            assertEquals(50, messages.size());
            assertEquals(51L, seq(cast(messages.get(0))));
            assertEquals(100L, seq(cast(messages.get(49))));
            assertEquals("message", cast(messages.get(0)).get("type"));
            alice.send(Map.of("type", "history", "room", room, "id", "h2"));
            List<?> latest = (List<?>) alice.expect("history").get("messages");
            assertEquals(50, latest.size(), "default limit 50, ending at the latest");
            assertEquals(120L, seq(cast(latest.get(49))));
            alice.send(Map.of("type", "history", "room", room, "limit", 201, "id", "h3"));
            assertEquals("bad_request", alice.expect("error").get("code"));
            alice.send(Map.of("type", "history", "room", "elsewhere", "id", "h4"));
            assertEquals("not_joined", alice.expect("error").get("code"));
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Object o) {
        return (Map<String, Object>) o;
    }
}
