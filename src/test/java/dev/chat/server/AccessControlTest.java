package dev.chat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.SeededUsers;
import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Private rooms, invitations, kicks and direct messages, as users see them. */
@Timeout(60)
class AccessControlTest {
    private static TestServer server;
    private static int rooms;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of(), SeededUsers.create("ac-alice", "ac-bob", "ac-eve", "ac-admin").dataDir());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static String room() {
        return "acl-" + (++rooms);
    }

    private static WsClient client(String user) throws Exception {
        return server.client(SeededUsers.token(user));
    }

    @Test
    void aPrivateRoomAdmitsItsOwnerAndTheInvitedOnly() throws Exception {
        String room = room();
        try (WsClient alice = client("ac-alice"); WsClient bob = client("ac-bob"); WsClient eve = client("ac-eve")) {
            alice.send(Map.of("type", "create", "room", room, "private", true, "id", "c1"));
            assertEquals(Map.of("type", "created", "room", room, "private", true, "id", "c1"), alice.next());
            assertEquals(List.of("ac-alice"), alice.expect("joined").get("members"));

            eve.send(Map.of("type", "join", "room", room, "id", "e1"));
            Map<String, Object> refused = eve.expect("error");
            assertEquals("forbidden", refused.get("code"));
            assertEquals("e1", refused.get("id"));

            eve.send(Map.of("type", "invite", "room", room, "user", "ac-eve", "id", "e2"));
            assertEquals("forbidden", eve.expect("error").get("code"), "only the owner invites");

            alice.send(Map.of("type", "invite", "room", room, "user", "ac-bob", "id", "i1"));
            assertEquals(Map.of("type", "invited", "room", room, "user", "ac-bob", "id", "i1"), alice.next());
            assertEquals(Map.of("type", "invitation", "room", room, "from", "ac-alice"), bob.next());
            assertEquals(List.of("ac-alice", "ac-bob"), bob.join(room).get("members"));
            alice.expect("presence");
            alice.say(room, "for bob only");
            assertEquals("for bob only", bob.expect("message").get("text"));
            eve.assertNothingPendingOutside();
        }
    }

    /**
     * A private room's name may say that it exists (a join is refused, as a create is with
     * room_exists) but nothing more: every other frame an outsider sends about it is answered
     * exactly as for a room that was never made, and the refusal names neither owner nor members.
     */
    @Test
    void anOutsiderLearnsNoMoreOfAPrivateRoomThanThatItExists() throws Exception {
        String secret = room();
        String none = room();
        try (WsClient alice = client("ac-alice"); WsClient eve = client("ac-eve")) {
            alice.send(Map.of("type", "create", "room", secret, "private", true, "id", "c1"));
            alice.expect("created");
            alice.expect("joined");
            alice.say(secret, "not for eve");

            eve.send(Map.of("type", "join", "room", secret, "id", "j1"));
            Map<String, Object> refused = eve.expect("error");
            assertEquals("forbidden", refused.get("code"));
            String said = String.valueOf(refused);
            assertTrue(!said.contains("ac-alice") && !said.contains("not for eve"), said);

            for (Map<String, Object> frame : List.<Map<String, Object>>of(
                    Map.of("type", "history", "room", "ROOM", "id", "h1"),
                    Map.of("type", "send", "room", "ROOM", "text", "hello?", "id", "s1"),
                    Map.of("type", "leave", "room", "ROOM", "id", "l1"),
                    Map.of("type", "invite", "room", "ROOM", "user", "ac-bob", "id", "i1"))) {
                eve.send(with(frame, secret));
                Map<String, Object> aboutSecret = eve.next();
                eve.send(with(frame, none));
                Map<String, Object> aboutNone = eve.next();
                assertEquals(String.valueOf(aboutNone).replace(none, "ROOM"), String.valueOf(aboutSecret).replace(secret, "ROOM"),
                        () -> frame.get("type") + " tells a private room from one that does not exist");
            }
            eve.send(Map.of("type", "typing", "room", secret));
            eve.send(Map.of("type", "typing", "room", none));
            assertEquals(String.valueOf(eve.next()).replace(secret, "ROOM"), String.valueOf(eve.next()).replace(none, "ROOM"));
            alice.assertNothingPending(secret);
        }
    }

    private static Map<String, Object> with(Map<String, Object> frame, String room) {
        Map<String, Object> copy = new java.util.HashMap<>(frame);
        copy.put("room", room);
        return copy;
    }

    /** Anyone could once create the page's default room private before it was used, and keep everyone else out. */
    @Test
    void thePagesDefaultRoomIsPublicFromTheStartAndCannotBeClaimed() throws Exception {
        try (WsClient eve = client("ac-eve"); WsClient bob = client("ac-bob")) {
            eve.send(Map.of("type", "create", "room", "general", "private", true, "id", "c9"));
            assertEquals("room_exists", eve.expect("error").get("code"));
            eve.send(Map.of("type", "invite", "room", "general", "user", "ac-bob", "id", "i9"));
            assertEquals("forbidden", eve.expect("error").get("code"), "nobody owns it");
            bob.join("general");
            eve.join("general");
            bob.expect("presence");
            eve.say("general", "open to all");
            assertEquals("open to all", bob.expect("message").get("text"));
        }
    }

    /** DMs to ever-new names once filled the heap: each was a conversation stored for good. */
    @Test
    void directMessagesAndInvitationsGoOnlyToUsersThatExist() throws Exception {
        String room = room();
        try (WsClient alice = client("ac-alice")) {
            alice.send(Map.of("type", "send", "to", "ac-nobody", "text", "hello?", "id", "d9"));
            Map<String, Object> refused = alice.expect("error");
            assertEquals("no_such_user", refused.get("code"));
            assertEquals("d9", refused.get("id"));
            alice.send(Map.of("type", "history", "with", "ac-nobody", "id", "h9"));
            assertEquals(List.of(), alice.expect("history").get("messages"), "nothing was stored");

            alice.send(Map.of("type", "create", "room", room, "private", true, "id", "c8"));
            alice.expect("created");
            alice.expect("joined");
            alice.send(Map.of("type", "invite", "room", room, "user", "ac-nobody", "id", "i8"));
            assertEquals("no_such_user", alice.expect("error").get("code"));
        }
    }

    @Test
    void creatingARoomThatExistsIsRefused() throws Exception {
        String room = room();
        try (WsClient alice = client("ac-alice"); WsClient bob = client("ac-bob")) {
            alice.join(room); // a public room, implicitly
            bob.send(Map.of("type", "create", "room", room, "private", true, "id", "c2"));
            assertEquals("room_exists", bob.expect("error").get("code"));
        }
    }

    @Test
    void anAdminKicksAUserOutOfARoomAndTheUserIsToldWhy() throws Exception {
        String room = room();
        try (WsClient admin = server.client(SeededUsers.adminToken("ac-admin"));
             WsClient bob = client("ac-bob"); WsClient bob2 = client("ac-bob"); WsClient alice = client("ac-alice")) {
            for (WsClient c : List.of(admin, bob, bob2, alice)) {
                if (c == bob2) {
                    c.expectMembership(room, "joined"); // bob's other device followed him in
                }
                c.join(room);
            }
            alice.send(Map.of("type", "kick", "room", room, "user", "ac-bob", "id", "k0"));
            assertEquals("forbidden", alice.expect("error").get("code"), "only an admin kicks");

            admin.send(Map.of("type", "kick", "room", room, "user", "ac-bob", "id", "k1"));
            Map<String, Object> kicked;
            while (!"kicked".equals((kicked = admin.next()).get("type"))) {
                // presence of the joiners
            }
            assertEquals(Map.of("type", "kicked", "room", room, "user", "ac-bob", "id", "k1"), kicked);
            for (WsClient b : List.of(bob, bob2)) {
                Map<String, Object> removed;
                while (!"removed".equals((removed = b.next()).get("type"))) {
                    // presence of the later joiners
                }
                assertEquals(Map.of("type", "removed", "room", room, "by", "ac-admin", "reason", "kicked"), removed);
            }
            assertEquals(Map.of("type", "presence", "room", room, "user", "ac-bob", "state", "left"), alice.next());
            alice.say(room, "after the kick");
            bob.send(Map.of("type", "send", "room", room, "text", "still here?", "id", "s"));
            assertEquals("not_joined", bob.expect("error").get("code"));
        }
    }

    @Test
    void aDirectMessageReachesEveryConnectionOfTheRecipientAndTheSendersOtherTabs() throws Exception {
        try (WsClient alice = client("ac-alice"); WsClient alice2 = client("ac-alice");
             WsClient bob = client("ac-bob"); WsClient bob2 = client("ac-bob"); WsClient eve = client("ac-eve")) {
            alice.send(Map.of("type", "send", "to", "ac-bob", "text", "psst", "id", "d1"));
            Map<String, Object> ack = alice.expect("ack");
            assertEquals("ac-bob", ack.get("to"));
            assertEquals("d1", ack.get("id"));
            long seq = ((Number) ack.get("seq")).longValue();
            for (WsClient c : List.of(alice2, bob, bob2)) {
                Map<String, Object> m = c.expect("message");
                assertEquals("ac-alice", m.get("from"));
                assertEquals("ac-bob", m.get("to"));
                assertEquals("psst", m.get("text"));
                assertEquals(seq, ((Number) m.get("seq")).longValue());
                assertEquals(null, m.get("room"));
            }
            bob.send(Map.of("type", "send", "to", "ac-alice", "text", "yes?", "id", "d2"));
            assertEquals(seq + 1, ((Number) bob.expect("ack").get("seq")).longValue(), "one seq per pair");
            assertEquals("yes?", alice.expect("message").get("text"));

            bob.send(Map.of("type", "history", "with", "ac-alice", "id", "h"));
            Map<String, Object> history = bob.expect("history");
            assertEquals("ac-alice", history.get("with"));
            assertEquals(2, ((List<?>) history.get("messages")).size());
            eve.assertNothingPendingOutside();
        }
    }
}
