package dev.chat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.chat.testing.SeededUsers;
import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Rooms that follow the user, on one node: two devices of alice and bob. A join on one device puts
 * the other in the room at once ({@code membership}), a new device's {@code welcome} lists every
 * conversation with its counts, {@code read} reaches every device with the same counts, a leave
 * takes every device out, and a restart keeps all of it.
 */
@Timeout(60)
class UserRoomsTest {
    private static SeededUsers users;
    private static TestServer server;

    @BeforeAll
    static void start() {
        users = SeededUsers.create("ur-alice", "ur-bob", "ur-carol", "ur-dm-bob");
        server = TestServer.start(Map.of(), users.dataDir());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static WsClient client(String user) throws Exception {
        return server.client(SeededUsers.token(user));
    }

    /** Opens a connection and returns it with its welcome's rooms. */
    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> welcomeRooms(WsClient[] out, String user) throws Exception {
        WsClient c = WsClient.connect(server.ws(SeededUsers.token(user)), Map.of("Origin", server.origin()));
        out[0] = c;
        return (List<Map<String, Object>>) c.expect("welcome").get("rooms");
    }

    private static Map<String, Object> state(String room, long seq, long read, long unread, long mentions) {
        return Map.of("room", room, "seq", seq, "read", read, "unread", unread, "mentions", mentions);
    }

    /** The wire's numbers are JSON numbers: compare as longs. */
    private static Map<String, Object> longs(Map<String, Object> frame) {
        Map<String, Object> out = new java.util.TreeMap<>();
        frame.forEach((k, v) -> out.put(k, v instanceof Number n ? (Object) n.longValue() : v));
        return out;
    }

    private static List<Map<String, Object>> longs(List<Map<String, Object>> frames) {
        return frames.stream().map(UserRoomsTest::longs).toList();
    }

    @Test
    void aJoinOnOneDeviceBringsTheOtherInAndReadStateAgreesEverywhere() throws Exception {
        try (WsClient phone = client("ur-alice"); WsClient laptop = client("ur-alice"); WsClient bob = client("ur-bob")) {
            phone.join("ur-team");
            assertEquals(Map.of("type", "membership", "room", "ur-team", "state", "joined", "seq", 0L),
                    longs(laptop.expectMembership("ur-team", "joined")));
            bob.join("ur-team");
            // the laptop never sent join, and is in the room: presence and messages reach it
            assertEquals("ur-bob", phone.expect("presence").get("user"));
            assertEquals("ur-bob", laptop.expect("presence").get("user"));
            bob.say("ur-team", "one");
            bob.say("ur-team", "two");
            bob.say("ur-team", "three");
            for (WsClient device : List.of(phone, laptop)) {
                for (String text : List.of("one", "two", "three")) {
                    assertEquals(text, device.expect("message").get("text"));
                }
            }

            WsClient[] tablet = new WsClient[1];
            List<Map<String, Object>> rooms = welcomeRooms(tablet, "ur-alice");
            try (WsClient t = tablet[0]) {
                assertEquals(List.of(state("ur-team", 3, 0, 3, 0)), longs(rooms), "a new device knows where alice stands");

                laptop.send(Map.of("type", "read", "room", "ur-team", "seq", 2, "id", "rd1"));
                assertEquals(Map.of("type", "read", "room", "ur-team", "seq", 2L, "unread", 1L, "mentions", 0L, "id", "rd1"),
                        longs(laptop.expect("read")));
                for (WsClient other : List.of(phone, t)) {
                    assertEquals(Map.of("type", "read", "room", "ur-team", "seq", 2L, "unread", 1L, "mentions", 0L),
                            longs(other.expect("read")), "every device hears it, with the same counts");
                }
                phone.send(Map.of("type", "read", "room", "ur-team", "seq", 1, "id", "back"));
                assertEquals(2L, ((Number) phone.expect("read").get("seq")).longValue(), "a read never goes back");
                assertEquals(2L, ((Number) laptop.expect("read").get("seq")).longValue());
                assertEquals(2L, ((Number) t.expect("read").get("seq")).longValue());

                t.send(Map.of("type", "rooms", "id", "list"));
                Map<String, Object> list = t.expect("rooms");
                assertEquals("list", list.get("id"));
                @SuppressWarnings("unchecked")
                List<Map<String, Object>> listed = (List<Map<String, Object>>) list.get("rooms");
                assertEquals(List.of(state("ur-team", 3, 2, 1, 0)), longs(listed));

                // alice's own messages are never unread for her
                long mine = t.say("ur-team", "from the tablet");
                assertEquals(4, mine);
                for (WsClient other : List.of(phone, laptop, bob)) {
                    assertEquals("from the tablet", other.expect("message").get("text"));
                }
                t.send(Map.of("type", "rooms", "id", "list2"));
                @SuppressWarnings("unchecked")
                List<Map<String, Object>> after = (List<Map<String, Object>>) t.expect("rooms").get("rooms");
                assertEquals(List.of(state("ur-team", 4, 2, 1, 0)), longs(after));

                // a leave on one device takes every device out
                laptop.send(Map.of("type", "leave", "room", "ur-team", "id", "bye"));
                assertEquals(Map.of("type", "left", "room", "ur-team", "id", "bye"), laptop.expect("left"));
                for (WsClient other : List.of(phone, t)) {
                    assertEquals(Map.of("type", "membership", "room", "ur-team", "state", "left"), other.next());
                }
            }
            assertEquals(Map.of("type", "presence", "room", "ur-team", "user", "ur-alice", "state", "left"), bob.next());
            bob.say("ur-team", "anyone?");
            phone.assertNothingPendingOutside();
            laptop.assertNothingPendingOutside();
        }
    }

    @Test
    void aJoinWithSinceOnAFollowingDeviceReplaysOnlyWhatCameBeforeItFollowed() throws Exception {
        try (WsClient alice = client("ur-alice"); WsClient bob = client("ur-bob")) {
            alice.join("ur-since");
            bob.join("ur-since");
            alice.expect("presence");
            for (String text : List.of("a", "b", "c")) {
                bob.say("ur-since", text);
                alice.expect("message");
            }
            try (WsClient second = client("ur-alice")) { // in the room from its welcome, at seq 3
                bob.say("ur-since", "d");
                assertEquals("d", second.expect("message").get("text"));
                second.send(Map.of("type", "join", "room", "ur-since", "since", 1, "id", "catch-up"));
                assertEquals("b", second.expect("message").get("text"));
                assertEquals("c", second.expect("message").get("text"));
                Map<String, Object> joined = second.expect("joined");
                assertEquals(4L, ((Number) joined.get("seq")).longValue());
                assertEquals(Boolean.TRUE, joined.get("recovered"));
                assertEquals("catch-up", joined.get("id"));
                second.assertNothingPending("ur-since"); // and nothing twice
            }
        }
    }

    /** A sender of its own (not ur-bob): its direct message may still be on its way to the sender's devices as the next test opens them. */
    @Test
    void directConversationsAreListedByTheOtherUserAndReadByWith() throws Exception {
        try (WsClient bob = client("ur-dm-bob")) {
            bob.send(Map.of("type", "send", "to", "ur-carol", "text", "psst", "id", "dm1"));
            bob.expect("ack");
            WsClient[] carol = new WsClient[1];
            List<Map<String, Object>> rooms = welcomeRooms(carol, "ur-carol");
            try (WsClient c = carol[0]) {
                assertEquals(List.of(Map.of("with", "ur-dm-bob", "seq", 1L, "read", 0L, "unread", 1L, "mentions", 0L)), longs(rooms));
                c.send(Map.of("type", "read", "with", "ur-dm-bob", "seq", 1, "id", "r"));
                assertEquals(Map.of("type", "read", "with", "ur-dm-bob", "seq", 1L, "unread", 0L, "mentions", 0L, "id", "r"), longs(c.expect("read")));
                c.send(Map.of("type", "read", "with", "ur-alice", "seq", 1, "id", "none"));
                assertEquals("not_joined", c.expect("error").get("code"), "no conversation with alice");
                c.send(Map.of("type", "read", "room", "ur-elsewhere", "seq", 1, "id", "nr"));
                assertEquals("not_joined", c.expect("error").get("code"));
                c.send(Map.of("type", "read", "room", "ur-elsewhere", "with", "ur-dm-bob", "seq", 1, "id", "both"));
                assertEquals("bad_request", c.expect("error").get("code"));
                c.send(Map.of("type", "read", "room", "ur-elsewhere", "seq", -1, "id", "neg"));
                assertEquals("bad_request", c.expect("error").get("code"));
            }
        }
    }

    @Test
    void aRestartKeepsMembershipsAndReadPositions() throws Exception {
        try (WsClient alice = client("ur-alice"); WsClient bob = client("ur-bob")) {
            alice.join("ur-kept");
            bob.join("ur-kept");
            alice.expect("presence");
            for (String text : List.of("x", "y", "z")) {
                bob.say("ur-kept", text);
                alice.expect("message");
            }
            alice.send(Map.of("type", "read", "room", "ur-kept", "seq", 2, "id", "r"));
            alice.expect("read");
        }
        server = server.restart();
        WsClient[] alice = new WsClient[1];
        List<Map<String, Object>> rooms = welcomeRooms(alice, "ur-alice");
        try (WsClient a = alice[0]; WsClient bob = client("ur-bob")) {
            assertEquals(List.of(state("ur-kept", 3, 2, 1, 0)), longs(rooms));
            // both are in the room again without a join: bob's message reaches alice
            assertEquals(4, bob.say("ur-kept", "after the restart"));
            Map<String, Object> m;
            while (!"message".equals((m = a.next()).get("type"))) {
                // bob's presence, depending on who connected first
            }
            assertEquals("after the restart", m.get("text"));
            assertNull(m.get("replay"));
        }
    }
}
