package dev.chat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Three users in rooms: joins, presence, acks, messages with their seq, leaves and closes. */
@Timeout(60)
class RoomsTest {
    private static TestServer server;
    private static String alice;
    private static String bob;
    private static String carol;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start();
        alice = server.token("alice");
        bob = server.token("bob");
        carol = server.token("carol");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void threeClientsChatWithSeqAckMessageAndPresence() throws Exception {
        try (WsClient a = server.client(alice); WsClient b = server.client(bob); WsClient c = server.client(carol)) {
            assertEquals(List.of("alice"), a.join("trio").get("members"));
            assertEquals(List.of("alice", "bob"), b.join("trio").get("members"));
            assertEquals(Map.of("type", "presence", "room", "trio", "user", "bob", "state", "joined"), a.next());
            assertEquals(List.of("alice", "bob", "carol"), c.join("trio").get("members"));
            assertEquals("carol", a.expect("presence").get("user"));
            assertEquals("carol", b.expect("presence").get("user"));

            assertEquals(1, a.say("trio", "hello"));
            for (WsClient other : List.of(b, c)) {
                Map<String, Object> m = other.expect("message");
                assertEquals("trio", m.get("room"));
                assertEquals("alice", m.get("from"));
                assertEquals("hello", m.get("text"));
                assertEquals("r2", m.get("id"));
                assertEquals(1, ((Number) m.get("seq")).longValue());
                Instant ts = Instant.parse((String) m.get("ts"));
                assertTrue(Math.abs(ts.toEpochMilli() - System.currentTimeMillis()) < 60_000, "ts is now: " + ts);
            }
            assertEquals(2, b.say("trio", "hi alice"));
            assertEquals("bob", c.expect("message").get("from"));
            assertEquals(3, c.say("trio", "hey both"));
            assertEquals(2, ((Number) a.expect("message").get("seq")).longValue());
            assertEquals(3, ((Number) a.expect("message").get("seq")).longValue());
            assertEquals("carol", b.expect("message").get("from"));
            // the sender gets its ack, never its own message
            a.assertNothingPending("trio");
            b.assertNothingPending("trio");
            c.assertNothingPending("trio");
        }
    }

    @Test
    void seqCountsPerRoom() throws Exception {
        try (WsClient a = server.client(alice)) {
            a.join("seq-one");
            a.join("seq-two");
            assertEquals(1, a.say("seq-one", "x"));
            assertEquals(2, a.say("seq-one", "y"));
            assertEquals(1, a.say("seq-two", "z"));
            assertEquals(3, a.say("seq-one", "w"));
        }
    }

    @Test
    void theSameUsersOtherConnectionGetsTheMessage() throws Exception {
        try (WsClient tab1 = server.client(alice); WsClient tab2 = server.client(alice)) {
            tab1.join("tabs");
            tab2.expectMembership("tabs", "joined");
            tab2.join("tabs");
            tab1.say("tabs", "from tab 1");
            assertEquals("from tab 1", tab2.expect("message").get("text"));
            // a second connection of a user already present is no presence change
            tab1.assertNothingPending("tabs");
        }
    }

    @Test
    void leaveAnswersLeftAndTellsTheOthers() throws Exception {
        try (WsClient a = server.client(alice); WsClient b = server.client(bob)) {
            a.join("leaving");
            b.join("leaving");
            a.expect("presence");
            b.send(Map.of("type", "leave", "room", "leaving", "id", "bye"));
            assertEquals(Map.of("type", "left", "room", "leaving", "id", "bye"), b.next());
            assertEquals(Map.of("type", "presence", "room", "leaving", "user", "bob", "state", "left"), a.next());
            a.say("leaving", "anyone?");
            b.join("elsewhere");
            b.assertNothingPending("elsewhere"); // the message after the leave never reached bob
        }
    }

    /**
     * A join that replays history sets a floor (live messages at or below it were in the replay);
     * the room's next live message retires it. One who leaves first never gets that message, so the
     * floor used to stay for the connection's life: an entry per room joined and left.
     */
    @Test
    void leavingARoomWithHistoryKeepsNothingOfItOnTheConnection() throws Exception {
        try (WsClient a = server.client(alice); WsClient b = server.client(bob)) {
            for (int i = 0; i < 10; i++) {
                a.join("floor-" + i);
                a.say("floor-" + i, "history");
            }
            for (int i = 0; i < 10; i++) {
                b.join("floor-" + i);
                assertEquals(1, b.lastReplay().size());
                b.send(Map.of("type", "leave", "room", "floor-" + i, "id", "l" + i));
                assertEquals("left", b.expect("left").get("type"));
            }
            dev.chat.connection.Connection bobs = server.server().app().connections().all().stream()
                    .filter(c -> c.user().equals("bob")).findFirst().orElseThrow();
            assertEquals(0, bobs.replayFloorCount(), "floors of rooms left");
        }
    }

    @Test
    void sendingToARoomNotJoinedIsNotJoined() throws Exception {
        try (WsClient a = server.client(alice)) {
            a.send(Map.of("type", "send", "room", "nowhere", "text", "hi", "id", "s1"));
            Map<String, Object> error = a.expect("error");
            assertEquals("not_joined", error.get("code"));
            assertEquals("s1", error.get("id"));
            a.send(Map.of("type", "leave", "room", "nowhere", "id", "l1"));
            assertEquals("not_joined", a.expect("error").get("code"));
        }
    }

    @Test
    void closingLeavesEveryRoomWithPresenceLeft() throws Exception {
        try (WsClient a = server.client(alice)) {
            a.join("closing-1");
            a.join("closing-2");
            WsClient c = server.client(carol);
            c.join("closing-1");
            c.join("closing-2");
            a.expect("presence");
            a.expect("presence");
            c.close();
            Map<String, Object> first = a.expect("presence");
            Map<String, Object> second = a.expect("presence");
            assertEquals("left", first.get("state"));
            assertEquals("left", second.get("state"));
            assertEquals(java.util.Set.of("closing-1", "closing-2"), java.util.Set.of(first.get("room"), second.get("room")));
            assertEquals(1, server.server().app().rooms().localMembers("closing-1"), "only alice is left");
        }
    }

    @Test
    void joiningTwiceIsIdempotent() throws Exception {
        try (WsClient a = server.client(alice)) {
            a.join("twice");
            assertEquals(List.of("alice"), a.join("twice").get("members"));
            assertEquals(1, server.server().app().rooms().localMembers("twice"));
            assertFalse(a.isClosed());
        }
    }
}
