package dev.chat.server;

import static dev.chat.testing.TestServer.credentials;
import static dev.chat.testing.TestServer.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Behaviour that depends on a setting, each against its own server. One node runs per class
 * loader (see ChatConfigurator), so each test starts and stops its own, one at a time.
 */
@Timeout(60)
class SettingsTest {

    @Test
    void chatPublicRoomsNamesTheRoomsHeldOpenAndAnEmptyValueNone() throws Exception {
        try (TestServer held = TestServer.start(Map.of("CHAT_PUBLIC_ROOMS", "lobby, help"));
             dev.chat.testing.WsClient alice = held.client(held.token("pr-alice"))) {
            for (String room : java.util.List.of("lobby", "help")) {
                alice.send(Map.of("type", "create", "room", room, "id", "c-" + room));
                assertEquals("room_exists", alice.expect("error").get("code"), room);
            }
            alice.send(Map.of("type", "create", "room", "general", "id", "c-general"));
            assertEquals("general", alice.expect("created").get("room"), "general is held only by default");
        }
        try (TestServer none = TestServer.start(Map.of("CHAT_PUBLIC_ROOMS", ""));
             dev.chat.testing.WsClient alice = none.client(none.token("pr-alice"))) {
            alice.send(Map.of("type", "create", "room", "general", "private", true, "id", "c-none"));
            assertEquals(true, alice.expect("created").get("private"));
        }
    }

    /** 3 780 private rooms from 2 accounts in 20 s were kept for good; invitations had no bound either. */
    @Test
    void roomsAUserOwnsAndInvitationsTheyGaveAreBoundedPerUser() throws Exception {
        try (TestServer server = TestServer.start(Map.of("CHAT_MAX_OWNED_ROOMS_PER_USER", "2", "CHAT_MAX_INVITATIONS_PER_USER", "1"));
             dev.chat.testing.WsClient alice = server.client(server.token("q-alice"))) {
            server.token("q-bob");
            server.token("q-carol");
            for (String room : java.util.List.of("q-one", "q-two")) {
                alice.send(Map.of("type", "create", "room", room, "private", true, "id", "c-" + room));
                assertEquals(room, alice.expect("created").get("room"));
                alice.expect("joined");
            }
            alice.send(Map.of("type", "create", "room", "q-three", "id", "c3"));
            Map<String, Object> refused = alice.expect("error");
            assertEquals("quota_exceeded", refused.get("code"));
            assertEquals("c3", refused.get("id"));

            alice.send(Map.of("type", "invite", "room", "q-one", "user", "q-bob", "id", "i1"));
            assertEquals("invited", alice.expect("invited").get("type"));
            alice.send(Map.of("type", "invite", "room", "q-two", "user", "q-carol", "id", "i2"));
            assertEquals("quota_exceeded", alice.expect("error").get("code"));
        }
    }

    /**
     * Conversations are kept for good: a user may start CHAT_MAX_NEW_DIRECTS_PER_DAY of them a day,
     * counted in the database (a restart forgets nothing), and goes on in those already started.
     */
    @Test
    void directConversationsAUserStartsAreBoundedPerDayAndSurviveARestart() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("chat-dm-quota-");
        Map<String, String> settings = Map.of("CHAT_MAX_NEW_DIRECTS_PER_DAY", "2");
        try (TestServer server = TestServer.start(settings, dir);
             WsClient alice = server.client(server.token("dq-alice"))) {
            for (String peer : java.util.List.of("dq-bob", "dq-carol", "dq-dave")) {
                server.token(peer);
            }
            alice.send(Map.of("type", "send", "to", "dq-bob", "text", "hi bob", "id", "d1"));
            assertEquals("d1", alice.expect("ack").get("id"));
            alice.send(Map.of("type", "send", "to", "dq-carol", "text", "hi carol", "id", "d2"));
            assertEquals("d2", alice.expect("ack").get("id"));
            alice.send(Map.of("type", "send", "to", "dq-dave", "text", "hi dave", "id", "d3"));
            Map<String, Object> refused = alice.expect("error");
            assertEquals("quota_exceeded", refused.get("code"));
            assertEquals("d3", refused.get("id"));
            alice.send(Map.of("type", "send", "to", "dq-bob", "text", "still talking", "id", "d4"));
            assertEquals("d4", alice.expect("ack").get("id"), "a conversation already started goes on");
        }
        try (TestServer again = TestServer.start(settings, dir);
             WsClient alice = again.client(again.login("dq-alice"));
             WsClient dave = again.client(again.login("dq-dave"))) {
            alice.send(Map.of("type", "send", "to", "dq-dave", "text", "hi dave", "id", "d5"));
            assertEquals("quota_exceeded", alice.expect("error").get("code"), "counted in the database, not forgotten by a restart");
            dave.send(Map.of("type", "send", "to", "dq-alice", "text", "hi alice", "id", "d6"));
            assertEquals("d6", dave.expect("ack").get("id"), "dave has a quota of his own");
            alice.send(Map.of("type", "send", "to", "dq-dave", "text", "and back", "id", "d7"));
            assertEquals("d7", alice.expect("ack").get("id"), "answering a conversation someone else started is not starting one");
            alice.send(Map.of("type", "create", "room", "dq-room", "id", "c1"));
            assertEquals("dq-room", alice.expect("created").get("room"), "conversations are not rooms owned");
        }
    }

    /** Many accounts, each under its own rate, flooded one room together; a room takes CHAT_ROOM_RATE_PER_SEC. */
    @Test
    void aRoomTakesAtMostItsRateFromAllItsSendersTogether() throws Exception {
        try (TestServer server = TestServer.start(Map.of("CHAT_ROOM_RATE_PER_SEC", "5"))) {
            java.util.List<WsClient> senders = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    WsClient c = server.client(server.token("rr-" + i));
                    senders.add(c);
                    c.send(Map.of("type", "join", "room", "rr-room", "id", "j"));
                    c.expect("joined");
                }
                // 4 senders x 5 messages, each well under its own rate (burst 40): the room's bucket holds 10
                int acked = 0;
                int refused = 0;
                for (int i = 0; i < 5; i++) {
                    for (WsClient c : senders) {
                        c.send(Map.of("type", "send", "room", "rr-room", "text", "m" + i, "id", "s" + i));
                    }
                }
                for (WsClient c : senders) {
                    for (int i = 0; i < 5; i++) {
                        Map<String, Object> answer = c.next();
                        while (!"ack".equals(answer.get("type")) && !"error".equals(answer.get("type"))) {
                            answer = c.next(); // the room's messages and presence, in between
                        }
                        if ("ack".equals(answer.get("type"))) {
                            acked++;
                        } else {
                            assertEquals("rate_limited", answer.get("code"), answer::toString);
                            refused++;
                        }
                    }
                }
                assertTrue(acked >= 10 && acked <= 12, "acked " + acked + " of 20 (bucket 10, refilling 5/s)");
                assertEquals(20, acked + refused);
                for (WsClient c : senders) {
                    assertTrue(!c.isClosed(), "a sender refused by the room's rate is not flooding");
                }
            } finally {
                senders.forEach(WsClient::close);
            }
        }
    }

    @Test
    void registrationCanBeTurnedOff() throws Exception {
        try (TestServer server = TestServer.start(Map.of("CHAT_REGISTRATION", "false"))) {
            HttpResponse<String> r = server.post("api/register", credentials("late", "password1"));
            assertEquals(403, r.statusCode());
            assertEquals("registration is disabled", json(r.body()).get("error"));
        }
    }

    @Test
    void usersOfAnOlderUsersJsonAreImportedAndNeedNotRegisterAgain() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("chat-old-");
        // what an earlier version left in its data directory: users.json, no database
        new dev.chat.auth.FileUserStore(dir).create("veteran", new dev.chat.auth.PasswordHasher(1_000).hash("password-veteran"));
        try (TestServer server = TestServer.start(Map.of(), dir)) {
            assertEquals(200, server.post("api/login", credentials("veteran", "password-veteran")).statusCode());
            assertEquals(409, server.post("api/register", credentials("veteran", "password-other")).statusCode());
            assertTrue(java.nio.file.Files.exists(dir.resolve("chat.db")), "the users are in the database now");
        }
        try (TestServer again = TestServer.start(Map.of(), dir)) {
            assertEquals(200, again.post("api/login", credentials("veteran", "password-veteran")).statusCode(),
                    "a second import changes nothing");
        }
    }

    @Test
    void registeredUsersSurviveARestart() throws Exception {
        TestServer first = TestServer.start();
        first.token("survivor");
        try (TestServer second = first.restart()) {
            assertEquals(200, second.post("api/login", credentials("survivor", "password-survivor")).statusCode());
            assertEquals(401, second.post("api/login", credentials("survivor", "wrong-password")).statusCode());
        }
    }

    @Test
    void aRestartedNodeKeepsItsHistoryEpochAndANewDatabaseNamesANewOne() throws Exception {
        TestServer first = TestServer.start();
        String token = first.token("epoch-user");
        String before;
        try (WsClient c = WsClient.connect(first.ws(token), Map.of())) {
            before = (String) c.expect("welcome").get("epoch");
        }
        try (TestServer second = first.restart(); WsClient c = WsClient.connect(second.ws(token), Map.of())) {
            String after = (String) c.expect("welcome").get("epoch");
            assertEquals(36, before.length());
            assertEquals(before, after, "the history is in the database: clients resume from their seqs");
        }
        try (TestServer fresh = TestServer.start(); WsClient c = WsClient.connect(fresh.ws(fresh.token("epoch-user")), Map.of())) {
            assertNotEquals(before, c.expect("welcome").get("epoch"), "another database is another history");
        }
    }

    @Test
    void anExplicitAllowlistAdmitsListedOriginsOnly() throws Exception {
        try (TestServer server = TestServer.start(Map.of("CHAT_ALLOWED_ORIGINS", "https://chat.example.com"))) {
            String t = server.token("hs-listed");
            try (WsClient ok = WsClient.connect(server.ws(t), Map.of("Origin", "https://chat.example.com"))) {
                assertEquals("hs-listed", ok.welcome());
            }
            try (WsClient same = WsClient.connect(server.ws(t), Map.of("Origin", server.origin()))) {
                WsClient.assertCode(4502, same);
            }
        }
    }

    @Test
    void aSecondNodeInTheSameClassLoaderIsRefused() {
        try (TestServer server = TestServer.start()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, TestServer::start);
            assertEquals("a chat application is already running in this class loader", e.getMessage());
        }
    }
}
