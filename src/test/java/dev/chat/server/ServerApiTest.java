package dev.chat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.ServerApiClient;
import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The server API on one node: keys, posting as a bot or a user, rooms, history, users, disconnect. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ServerApiTest {
    private static TestServer server;
    private static ServerApiClient api;
    private static String alice;
    private static String bob;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(Map.of("CHAT_API_KEYS", ServerApiClient.KEYS));
        api = ServerApiClient.of(server.base());
        alice = server.token("alice");
        bob = server.token("bob");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static void awaitOnline(String user) throws Exception {
        long deadline = System.nanoTime() + WsClient.WAIT.toNanos();
        while (!Boolean.TRUE.equals(ServerApiClient.json(api.get("users/" + user)).get("online"))) {
            assertTrue(System.nanoTime() < deadline, user + " never showed online");
            Thread.sleep(10);
        }
    }

    private static void assertError(int status, String code, HttpResponse<String> r, String why) {
        assertEquals(status, r.statusCode(), () -> why + ": " + r.body());
        assertEquals(code, ServerApiClient.json(r).get("code"), r::body);
    }

    private static void assertError(int status, String code, HttpResponse<String> r) {
        assertEquals(status, r.statusCode(), r::body);
        assertEquals(code, ServerApiClient.json(r).get("code"), r::body);
        assertTrue(ServerApiClient.json(r).get("error") instanceof String, r::body);
    }

    @Test
    void withoutAValidKeyEveryEndpointAnswers401AndNothingIsPosted() throws Exception {
        try (WsClient a = server.client(alice)) {
            a.join("keyless");
            String post = "{\"room\":\"keyless\",\"from\":\"bot:x\",\"text\":\"forged\"}";
            HttpResponse<String> login = server.post("api/login", TestServer.credentials("alice", "password-alice"));
            String cookie = login.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
            List<HttpResponse<String>> refused = List.of(
                    new ServerApiClient(server.base(), null).post("messages", post),
                    new ServerApiClient(server.base(), ServerApiClient.SECRET + "x").post("messages", post),
                    new ServerApiClient(server.base(), ServerApiClient.SECRET.substring(1)).post("messages", post),
                    new ServerApiClient(server.base(), alice).post("messages", post),
                    new ServerApiClient(server.base(), null).call("POST", "messages", post, "Cookie", cookie),
                    new ServerApiClient(server.base(), null).call("POST", "messages", post,
                            "Authorization", "Basic " + ServerApiClient.SECRET),
                    new ServerApiClient(server.base(), null).get("rooms/keyless"),
                    new ServerApiClient(server.base(), "nope-nope-nope-nope-nope-nope-nope-nope").get("users/alice"),
                    new ServerApiClient(server.base(), null).post("users/alice/disconnect", "{}"));
            for (HttpResponse<String> r : refused) {
                assertError(401, "unauthorized", r);
                assertEquals("Bearer realm=\"chat server api\"", r.headers().firstValue("WWW-Authenticate").orElse(null));
            }
            a.assertNothingPending("keyless");
        }
        String metrics = server.get("metrics").body();
        assertTrue(metrics.contains("chat_api_requests_total{key=\"none\",status=\"4xx\"}"), "refusals are counted under no key's name");
        assertFalse(metrics.contains(ServerApiClient.SECRET), "the secret is never a label");
    }

    @Test
    void aBotPostsToARoomItsMembersSeeItAndTheSameKeyGivesTheSameSeq() throws Exception {
        try (WsClient a = server.client(alice); WsClient b = server.client(bob)) {
            a.join("deploys");
            b.join("deploys");
            a.expect("presence");
            long before = a.say("deploys", "shipping?");
            b.expect("message");
            String body = "{\"room\":\"deploys\",\"from\":\"bot:ci\",\"text\":\"build 42 is green\",\"idempotencyKey\":\"build-42\"}";
            HttpResponse<String> created = api.post("messages", body);
            assertEquals(201, created.statusCode(), created::body);
            Map<String, Object> answer = ServerApiClient.json(created);
            assertEquals("deploys", answer.get("room"));
            assertEquals(before + 1, ((Number) answer.get("seq")).longValue());
            assertTrue(((String) answer.get("ts")).endsWith("Z"), answer::toString);
            for (WsClient member : List.of(a, b)) {
                Map<String, Object> m = member.expect("message");
                assertEquals("bot:ci", m.get("from"));
                assertEquals("build 42 is green", m.get("text"));
                assertEquals(answer.get("seq"), m.get("seq"));
                assertEquals("build-42", m.get("id"), "the key is the message's id, as a client's would be");
            }
            HttpResponse<String> again = api.post("messages", body);
            assertEquals(201, again.statusCode(), again::body);
            assertEquals(answer.get("seq"), ServerApiClient.json(again).get("seq"), "the same key: the same message");
            a.assertNothingPending("deploys");
            b.assertNothingPending("deploys");
        }
    }

    @Test
    void aUserPostsOnlyWhereAMemberAndBadRequestsSayWhy() throws Exception {
        try (WsClient a = server.client(alice)) {
            a.join("members-only");
            HttpResponse<String> asAlice = api.post("messages", "{\"room\":\"members-only\",\"from\":\"alice\",\"text\":\"from the backend\"}");
            assertEquals(201, asAlice.statusCode(), asAlice::body);
            Map<String, Object> m = a.expect("message");
            assertEquals("alice", m.get("from"));
            assertEquals("from the backend", m.get("text"));
            assertError(403, "forbidden", api.post("messages", "{\"room\":\"members-only\",\"from\":\"bob\",\"text\":\"x\"}"));
            assertError(404, "no_such_user", api.post("messages", "{\"room\":\"members-only\",\"from\":\"nobody\",\"text\":\"x\"}"));
            assertError(404, "no_such_user", api.post("messages", "{\"room\":\"members-only\",\"from\":\"bot:\",\"text\":\"x\"}"));
            assertError(400, "bad_request", api.post("messages", "{\"room\":\"members-only\",\"text\":\"x\"}"));
            assertError(404, "not_found", api.post("messages", "{\"room\":\"no-such-room\",\"from\":\"bot:x\",\"text\":\"x\"}"));
            assertError(400, "bad_request", api.post("messages", "{\"room\":\"members-only\",\"to\":\"bob\",\"from\":\"bot:x\",\"text\":\"x\"}"));
            assertError(400, "bad_request", api.post("messages", "{\"room\":\"members-only\",\"from\":\"bot:x\",\"text\":7}"));
            assertError(400, "bad_request", api.post("messages", "{\"room\":\"members-only\",\"from\":\"bot:x\",\"text\":\"\"}"));
            assertError(400, "bad_request", api.post("messages", "[1,2]"));
            assertError(400, "bad_request", api.post("messages", "{\"room\":\"members-only\",\"from\":\"bot:x\",\"text\":\"x\",\"replyTo\":-3}"));
            assertError(404, "not_found", api.post("messages", "{\"room\":\"members-only\",\"from\":\"bot:x\",\"text\":\"x\",\"replyTo\":999}"));
            assertError(413, "too_large", api.post("messages", "{\"room\":\"members-only\",\"from\":\"bot:x\",\"text\":\""
                    + "y".repeat(5000) + "\"}"));
            assertError(415, "bad_request", api.call("POST", "messages", null));
            assertError(413, "too_large", api.post("messages", "{\"room\":\"members-only\",\"from\":\"bot:x\",\"text\":\""
                    + "z".repeat(20_000) + "\"}"));
            assertEquals(401, new ServerApiClient(server.base(), null).post("messages", "{\"text\":\"" + "z".repeat(20_000) + "\"}").statusCode(),
                    "the key before anything about the body");
            assertError(404, "not_found", api.get("nothing-here"));
            HttpResponse<String> wrongMethod = api.get("messages");
            assertEquals(405, wrongMethod.statusCode());
            assertEquals("POST", wrongMethod.headers().firstValue("Allow").orElse(null));
            a.assertNothingPending("members-only");
        }
    }

    @Test
    void aBotWritesToAUserDirectlyAndAReplyQuotesIt() throws Exception {
        try (WsClient b = server.client(bob)) {
            HttpResponse<String> sent = api.post("messages", "{\"to\":\"bob\",\"from\":\"bot:hr\",\"text\":\"welcome aboard\"}");
            assertEquals(201, sent.statusCode(), sent::body);
            Map<String, Object> answer = ServerApiClient.json(sent);
            assertEquals("bob", answer.get("to"));
            Map<String, Object> m = b.expect("message");
            assertEquals("bot:hr", m.get("from"));
            assertEquals("welcome aboard", m.get("text"));
            assertEquals(answer.get("seq"), m.get("seq"));
            HttpResponse<String> reply = api.post("messages", "{\"to\":\"bob\",\"from\":\"bot:hr\",\"text\":\"and a reply\",\"replyTo\":"
                    + answer.get("seq") + "}");
            assertEquals(201, reply.statusCode(), reply::body);
            assertEquals(answer.get("seq"), b.expect("message").get("replyTo"));
            assertError(404, "no_such_user", api.post("messages", "{\"to\":\"nobody\",\"from\":\"bot:hr\",\"text\":\"x\"}"));
        }
    }

    @Test
    void aRoomShowsItsMembersWhoIsOnlineAndItsHistoryAsTheProtocolWritesIt() throws Exception {
        try (WsClient a = server.client(alice)) {
            a.join("library");
            long first = a.say("library", "one");
            a.say("library", "two");
            long third = a.say("library", "three");
            Map<String, Object> room = ServerApiClient.json(api.get("rooms/library"));
            assertEquals("library", room.get("room"));
            assertEquals(false, room.get("private"));
            assertEquals(third, ((Number) room.get("seq")).longValue());
            assertEquals(List.of("alice"), room.get("members"));
            assertEquals(List.of("alice"), room.get("online"));
            assertTrue(room.containsKey("owner"), room::toString);

            Map<String, Object> page = ServerApiClient.json(api.get("rooms/library/messages?before=" + third + "&limit=1"));
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> messages = (List<Map<String, Object>>) page.get("messages");
            assertEquals(1, messages.size(), page::toString);
            assertEquals("message", messages.get(0).get("type"));
            assertEquals("two", messages.get(0).get("text"));
            assertEquals("alice", messages.get(0).get("from"));
            assertEquals(first + 1, ((Number) messages.get(0).get("seq")).longValue());
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> all = (List<Map<String, Object>>) ServerApiClient.json(api.get("rooms/library/messages")).get("messages");
            assertEquals(List.of("one", "two", "three"), all.stream().map(x -> x.get("text")).toList());

            assertError(404, "not_found", api.get("rooms/no-such-room"));
            assertError(404, "not_found", api.get("rooms/no-such-room/messages"));
            assertError(400, "bad_request", api.get("rooms/library/messages?limit=0"));
            assertError(400, "bad_request", api.get("rooms/library/messages?limit=201"));
            assertError(400, "bad_request", api.get("rooms/library/messages?before=abc"));
        }
    }

    @Test
    void aUserShowsOnlineAndRoomsAndADisconnectClosesEveryConnectionWith4503() throws Exception {
        String carol = server.token("carol");
        WsClient one = server.client(carol);
        WsClient two = server.client(carol);
        one.join("carols-room");
        two.expectMembership("carols-room", "joined");
        Map<String, Object> user = ServerApiClient.json(api.get("users/carol"));
        assertEquals(Map.of("user", "carol", "online", true, "rooms", List.of("carols-room"), "banned", false), user);

        HttpResponse<String> d = api.post("users/carol/disconnect", "{}");
        assertEquals(202, d.statusCode(), d::body);
        assertEquals(4503, one.awaitClose());
        assertEquals(4503, two.awaitClose());
        assertEquals(false, ServerApiClient.json(api.get("users/carol")).get("online"), "no connection is left");
        try (WsClient back = server.client(carol)) { // welcomed: a disconnect is no ban, the session still works
            back.join("carols-room");
        }
        assertError(404, "no_such_user", api.get("users/nobody"));
        assertError(404, "no_such_user", api.post("users/nobody/disconnect", "{}"));
        assertError(400, "bad_request", api.post("users/carol/disconnect", "{\"code\":4000}"));
        assertError(400, "bad_request", api.post("users/carol/disconnect", "{\"code\":4503.5}"));
        WsClient three = server.client(carol);
        awaitOnline("carol"); // its welcome leaves a moment before the node lists it as the user's
        HttpResponse<String> going = api.call("POST", "users/carol/disconnect", null); // no body: the defaults
        assertEquals(202, going.statusCode(), going::body);
        assertEquals(4503, three.awaitClose());
        WsClient four = server.client(carol);
        awaitOnline("carol");
        assertEquals(202, api.post("users/carol/disconnect", "{\"code\":1001}").statusCode());
        assertEquals(1001, four.awaitClose(), "a code of the table: going_away, the page reconnects");
    }

    @Test
    void aBanEndsTheConnectionsAndBlocksLoginRefreshConnectAndDirectMessagesUntilLifted() throws Exception {
        String dave = server.token("dave");
        HttpResponse<String> login = server.post("api/login", "{\"username\":\"dave\",\"password\":\"password-dave\",\"refreshToken\":true}");
        String refresh = (String) TestServer.json(login.body()).get("refreshToken");
        WsClient connected = server.client(dave);
        awaitOnline("dave");
        HttpResponse<String> banned = api.post("users/dave/ban", "{}");
        assertEquals(200, banned.statusCode(), banned::body);
        assertEquals(Map.of("user", "dave", "banned", true), ServerApiClient.json(banned));
        assertEquals(4503, connected.awaitClose(), "banned: closed on every node");

        HttpResponse<String> again = server.post("api/login", TestServer.credentials("dave", "password-dave"));
        assertEquals(403, again.statusCode(), again::body);
        assertEquals("this account is banned", TestServer.json(again.body()).get("error"));
        assertEquals(401, server.post("api/login", TestServer.credentials("dave", "wrong-password")).statusCode(),
                "a wrong password learns nothing of the ban");
        HttpResponse<String> refreshed = server.post("api/refresh", "{\"refreshToken\":\"" + refresh + "\"}");
        assertEquals(403, refreshed.statusCode(), refreshed::body);
        try (WsClient back = WsClient.connect(server.ws(dave), Map.of("Origin", server.origin()))) {
            assertEquals(4503, back.awaitClose(), "a token from before the ban connects no more");
        }
        try (WsClient a = server.client(alice)) {
            a.send(Map.of("type", "send", "to", "dave", "text", "are you there?", "id", "dm-1"));
            Map<String, Object> refused = a.expect("error");
            assertEquals(List.of("forbidden", "dm-1"), List.of(refused.get("code"), refused.get("id")), refused::toString);
        }
        assertError(403, "forbidden", api.post("messages", "{\"to\":\"dave\",\"from\":\"bot:hr\",\"text\":\"x\"}"));
        assertEquals(true, ServerApiClient.json(api.get("users/dave")).get("banned"));

        HttpResponse<String> lifted = api.call("DELETE", "users/dave/ban", null);
        assertEquals(200, lifted.statusCode(), lifted::body);
        assertEquals(Map.of("user", "dave", "banned", false), ServerApiClient.json(lifted));
        try (WsClient back = server.client(server.login("dave")); WsClient a = server.client(alice)) {
            a.send(Map.of("type", "send", "to", "dave", "text", "welcome back", "id", "dm-2"));
            assertEquals("dm-2", a.expect("ack").get("id"));
            assertEquals("welcome back", back.expect("message").get("text"));
        }
        assertError(404, "no_such_user", api.post("users/bot:x/ban", "{}"));
        assertEquals(405, api.get("users/dave/ban").statusCode());
    }

    @Test
    void aBackendCreatesAPrivateRoomWithMembersAddsOneAndKicksOne() throws Exception {
        String erin = server.token("erin");
        String frank = server.token("frank");
        try (WsClient e = server.client(erin); WsClient f = server.client(frank)) {
            HttpResponse<String> created = api.post("rooms", "{\"room\":\"board\",\"private\":true,\"owner\":\"alice\",\"members\":[\"erin\"]}");
            assertEquals(201, created.statusCode(), created::body);
            Map<String, Object> room = ServerApiClient.json(created);
            assertEquals(List.of("board", true, "alice", List.of("alice", "erin")),
                    List.of(room.get("room"), room.get("private"), room.get("owner"), room.get("members")), room::toString);
            e.expectMembership("board", "joined");
            assertError(409, "room_exists", api.post("rooms", "{\"room\":\"board\",\"owner\":\"bob\"}"));

            f.send(Map.of("type", "join", "room", "board", "id", "j-1"));
            assertEquals("forbidden", f.expect("error").get("code"), "private: only the invited");
            HttpResponse<String> added = api.post("rooms/board/members", "{\"user\":\"frank\"}");
            assertEquals(201, added.statusCode(), added::body);
            f.expectMembership("board", "joined");
            assertEquals(200, api.post("rooms/board/members", "{\"user\":\"frank\"}").statusCode(), "a member already");

            assertEquals(201, api.post("messages", "{\"room\":\"board\",\"from\":\"bot:minutes\",\"text\":\"agenda\"}").statusCode());
            assertEquals("frank", e.expect("presence").get("user"), "frank entered the room");
            assertEquals("agenda", e.expect("message").get("text"));
            assertEquals("agenda", f.expect("message").get("text"));

            HttpResponse<String> kicked = api.call("DELETE", "rooms/board/members/erin", null);
            assertEquals(200, kicked.statusCode(), kicked::body);
            Map<String, Object> removed = e.expect("removed");
            assertEquals(List.of("board", "kicked"), List.of(removed.get("room"), removed.get("reason")), removed::toString);
            assertEquals(List.of("alice", "frank"), ServerApiClient.json(api.get("rooms/board")).get("members"));
            e.send(Map.of("type", "join", "room", "board", "id", "j-2"));
            assertEquals("forbidden", e.expect("error").get("code"), "the invitation was taken back with the membership");
        }
        assertError(400, "bad_request", api.post("rooms", "{\"room\":\"no spaces\",\"owner\":\"alice\"}"));
        assertError(404, "no_such_user", api.post("rooms", "{\"room\":\"ownerless\",\"owner\":\"nobody\"}"));
        assertError(404, "no_such_user", api.post("rooms", "{\"room\":\"ownerless\",\"owner\":\"alice\",\"members\":[\"nobody\"]}"));
        assertError(400, "bad_request", api.post("rooms", "{\"room\":\"ownerless\",\"owner\":\"alice\",\"members\":\"erin\"}"));
        assertError(400, "bad_request", api.post("rooms", "{\"room\":\"ownerless\",\"owner\":\"alice\",\"private\":\"yes\"}"));
        assertError(404, "not_found", api.get("rooms/ownerless"), "nothing was created by the refusals");
        assertError(404, "not_found", api.post("rooms/no-such-room/members", "{\"user\":\"erin\"}"));
        assertError(404, "no_such_user", api.post("rooms/board/members", "{\"user\":\"nobody\"}"));
        assertError(404, "not_found", api.call("DELETE", "rooms/no-such-room/members/erin", null));
    }
}
