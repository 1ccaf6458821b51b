package dev.chat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.SeededUsers;
import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The per-connection, per-room, per-user and per-node limits, each on its own server (one at a
 * time): the request or connection over the limit is refused, everything else keeps working.
 */
@Timeout(60)
class LimitsTest {
    private static SeededUsers users;

    @BeforeAll
    static void seed() {
        users = SeededUsers.create("lim-alice", "lim-bob", "lim-carol");
    }

    private static TestServer start(String name, String value) {
        return TestServer.start(Map.of(name, value), users.dataDir());
    }

    private static String token(String user) {
        return SeededUsers.token("lim-" + user);
    }

    private static void assertError(WsClient client, String code, String id) throws InterruptedException {
        Map<String, Object> error = client.expect("error");
        assertEquals(code, error.get("code"), error::toString);
        assertEquals(id, error.get("id"));
        assertEquals(String.class, error.get("message").getClass());
    }

    /** Polls an observable condition of the server until it holds; fails after {@link WsClient#WAIT}. */
    private static void awaitTrue(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WsClient.WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
            Thread.sleep(10);
        }
    }

    @Test
    void maxRoomsPerUser() throws Exception {
        try (TestServer server = start("CHAT_MAX_ROOMS_PER_USER", "2");
             WsClient a = server.client(token("alice"))) {
            a.join("one");
            a.join("two");
            a.send(Map.of("type", "join", "room", "three", "id", "third"));
            assertError(a, "too_many_rooms", "third");
            assertEquals(0, server.server().app().rooms().localMembers("three"));
            // still usable: rejoining a room it is in is no new room, sending works, a leave frees a slot
            assertEquals(List.of("lim-alice"), a.join("two").get("members"));
            assertEquals(1, a.say("one", "hello"));
            a.send(Map.of("type", "leave", "room", "two", "id", "bye"));
            assertEquals(Map.of("type", "left", "room", "two", "id", "bye"), a.next());
            a.join("three");
            a.assertNothingPending("three");
            // the bound is the user's: another device of alice is in her two rooms and may join no third
            try (WsClient a2 = server.client(token("alice"))) {
                a2.send(Map.of("type", "join", "room", "four", "id", "fourth"));
                assertError(a2, "too_many_rooms", "fourth");
            }
        }
    }

    @Test
    void maxRoomMembers() throws Exception {
        // the two members are two tabs of one user: no presence between them (see JoinPresenceTest for why that matters)
        try (TestServer server = start("CHAT_MAX_ROOM_MEMBERS", "2");
             WsClient tab1 = server.client(token("alice"));
             WsClient tab2 = server.client(token("alice"));
             WsClient bob = server.client(token("bob"))) {
            tab1.join("pair");
            tab2.expectMembership("pair", "joined"); // alice's other tab is in the room with her
            tab2.join("pair");
            bob.send(Map.of("type", "join", "room", "pair", "id", "third"));
            assertError(bob, "room_full", "third");
            assertEquals(2, server.server().app().rooms().localMembers("pair"));
            // the members saw nothing of it and chat on; the refused one can go elsewhere
            tab1.say("pair", "just us");
            assertEquals("just us", tab2.expect("message").get("text"));
            tab1.assertNothingPending("pair");
            tab2.assertNothingPending("pair");
            bob.join("elsewhere");
            // once a member's connection goes, there is room again
            tab2.closeWith(1000);
            awaitTrue("alice's second tab is gone", () -> server.server().app().rooms().localMembers("pair") == 1);
            assertEquals(List.of("lim-alice", "lim-bob"), bob.join("pair").get("members"));
            assertEquals(Map.of("type", "presence", "room", "pair", "user", "lim-bob", "state", "joined"), tab1.next());
            tab1.assertNothingPending("pair");
        }
    }

    @Test
    void maxConnectionsPerUser() throws Exception {
        try (TestServer server = start("CHAT_MAX_CONNECTIONS_PER_USER", "2");
             WsClient first = server.client(token("alice"));
             WsClient second = server.client(token("alice"))) {
            try (WsClient third = WsClient.connect(server.ws(token("alice")), Map.of("Origin", server.origin()))) {
                WsClient.assertCode(4005, third);
                assertEquals("too_many_user_connections", third.closeReason());
                assertTrue(third.drain().isEmpty(), "no frame may precede the close");
            }
            first.join("tabs");
            second.expectMembership("tabs", "joined");
            second.join("tabs");
            first.say("tabs", "from the first tab");
            assertEquals("from the first tab", second.expect("message").get("text"));
            try (WsClient bob = server.client(token("bob"))) {
                bob.join("tabs");
                assertEquals("lim-bob", first.expect("presence").get("user"));
                assertEquals("lim-bob", second.expect("presence").get("user"));
            }
            assertFalse(first.isClosed());
            assertFalse(second.isClosed());
        }
    }

    @Test
    void maxConnections() throws Exception {
        try (TestServer server = start("CHAT_MAX_CONNECTIONS", "2");
             WsClient a = server.client(token("alice"))) {
            WsClient b = server.client(token("bob"));
            try (WsClient refused = WsClient.connect(server.ws(token("carol")), Map.of("Origin", server.origin()))) {
                WsClient.assertCode(4004, refused);
                assertEquals("server_full", refused.closeReason());
                assertTrue(refused.drain().isEmpty(), "no frame may precede the close");
            }
            a.join("full-house");
            b.join("full-house");
            assertEquals("lim-bob", a.expect("presence").get("user"));
            b.say("full-house", "still here");
            assertEquals("still here", a.expect("message").get("text"));
            assertEquals(2, server.server().app().connections().size());

            b.close();
            assertEquals("left", a.expect("presence").get("state"));
            awaitTrue("the server counts one connection", () -> server.server().app().connections().size() == 1);
            try (WsClient c = server.client(token("carol"))) {
                c.join("full-house");
                assertEquals("lim-carol", a.expect("presence").get("user"));
            }
            assertEquals(Map.of("type", "presence", "room", "full-house", "user", "lim-carol", "state", "left"), a.next());
            a.assertNothingPending("full-house");
        }
    }
}
