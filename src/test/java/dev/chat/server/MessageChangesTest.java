package dev.chat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.chat.testing.SeededUsers;
import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Edit, delete, reactions, replies and mentions, as members see them: each change is an event of the
 * room with its own seq (acked, delivered, replayed with {@code since}), {@code history} gives every
 * message as it stands now with the changes among them, and every refusal says why.
 */
@Timeout(60)
class MessageChangesTest {
    private static final AtomicInteger ROOMS = new AtomicInteger();
    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of(), SeededUsers.create("mc-alice", "mc-bob", "mc-carol", "mc-admin").dataDir());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static String room() {
        return "mc-" + ROOMS.incrementAndGet();
    }

    private static WsClient client(String user) throws Exception {
        return server.client(SeededUsers.token(user));
    }

    private static long seq(Map<String, Object> frame) {
        return ((Number) frame.get("seq")).longValue();
    }

    private static final AtomicInteger IDS = new AtomicInteger();

    /**
     * Sends a request and returns its ack's seq (the change's own). Frames of the room reaching this
     * client meanwhile (presence, others' messages) are passed over: the ack is matched by its id.
     */
    private static long acked(WsClient c, Map<String, Object> request) throws InterruptedException {
        c.send(request);
        Map<String, Object> reply = reply(c, (String) request.get("id"));
        assertEquals("ack", reply.get("type"), reply::toString);
        return seq(reply);
    }

    private static long post(WsClient c, String room, String text) throws InterruptedException {
        return acked(c, Map.of("type", "send", "room", room, "text", text, "id", "p" + IDS.incrementAndGet()));
    }

    private static void refused(WsClient c, Map<String, Object> request, String code) throws InterruptedException {
        c.send(request);
        Map<String, Object> error = reply(c, (String) request.get("id"));
        assertEquals("error", error.get("type"), error::toString);
        assertEquals(code, error.get("code"), error::toString);
    }

    /** The reply (ack or error) to the request {@code id}: the room's other frames on the way are passed over. */
    private static Map<String, Object> reply(WsClient c, String id) throws InterruptedException {
        while (true) {
            Map<String, Object> f = c.next();
            if (("ack".equals(f.get("type")) || "error".equals(f.get("type"))) && id.equals(f.get("id"))) {
                return f;
            }
        }
    }

    /** The next frame of {@code type}, passing over the others (presence, messages before it). */
    private static Map<String, Object> await(WsClient c, String type) throws InterruptedException {
        while (true) {
            Map<String, Object> f = c.next();
            if (type.equals(f.get("type"))) {
                return f;
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> history(WsClient c, String room) throws InterruptedException {
        c.send(Map.of("type", "history", "room", room, "id", "h"));
        return (List<Map<String, Object>>) c.expect("history").get("messages");
    }

    /** The members' view without the per-delivery fields. */
    private static Map<String, Object> without(Map<String, Object> frame, String... keys) {
        Map<String, Object> out = new java.util.TreeMap<>(frame);
        for (String k : keys) {
            out.remove(k);
        }
        out.replaceAll((k, v) -> v instanceof Number n ? (Object) n.longValue() : v);
        return out;
    }

    @Test
    void anEditReachesEveryMemberAsAnEventOfItsOwnAndTheHistoryShowsTheLatestText() throws Exception {
        String room = room();
        try (WsClient alice = client("mc-alice"); WsClient bob = client("mc-bob")) {
            alice.join(room);
            bob.join(room);
            await(alice, "presence");
            long first = post(alice, room, "helo");
            await(bob, "message");
            long edit = acked(alice, Map.of("type", "edit", "room", room, "target", first, "text", "hello", "id", "e1"));
            assertEquals(first + 1, edit, "the edit is the room's next seq");
            Map<String, Object> edited = await(bob, "edited");
            assertEquals(Map.of("type", "edited", "room", room, "seq", edit, "target", first, "from", "mc-alice", "text", "hello",
                    "id", "e1"), without(edited, "ts"));

            refused(bob, Map.of("type", "edit", "room", room, "target", first, "text", "mine now", "id", "e2"), "forbidden");
            refused(alice, Map.of("type", "edit", "room", room, "target", 99, "text", "x", "id", "e3"), "not_found");
            refused(alice, Map.of("type", "edit", "room", room, "target", edit, "text", "x", "id", "e4"), "not_found");

            List<Map<String, Object>> page = history(bob, room);
            assertEquals(2, page.size(), page::toString);
            Map<String, Object> message = page.get(0);
            assertEquals(List.of("message", first, "hello"), List.of(message.get("type"), seq(message), message.get("text")));
            assertEquals(edited.get("ts"), message.get("edited"), "edited says when");
            assertEquals(without(edited), without(page.get(1)), "the edit itself, at its seq");
        }
    }

    @Test
    void aDeleteLeavesTheSeqWithoutTheTextAndOnlyTheSenderTheOwnerOrAnAdminMayDoIt() throws Exception {
        String room = room();
        try (WsClient alice = client("mc-alice"); WsClient bob = client("mc-bob");
             WsClient admin = server.client(SeededUsers.adminToken("mc-admin"))) {
            alice.send(Map.of("type", "create", "room", room, "private", false, "id", "c"));
            await(alice, "joined"); // after created: the creator is in the room
            bob.join(room);
            await(alice, "presence");
            long bobs = post(bob, room, "first by bob");
            long bobs2 = post(bob, room, "second by bob");
            long alices = post(alice, room, "by alice"); // bob's two reached alice meanwhile
            await(bob, "message");
            refused(bob, Map.of("type", "delete", "room", room, "target", alices, "id", "d0"), "forbidden");
            long byOwner = acked(alice, Map.of("type", "delete", "room", room, "target", bobs, "id", "d1"));
            assertEquals(Map.of("type", "deleted", "room", room, "seq", byOwner, "target", bobs, "by", "mc-alice", "id", "d1"),
                    without(await(bob, "deleted"), "ts"));
            refused(alice, Map.of("type", "delete", "room", room, "target", bobs, "id", "d2"), "not_found");
            refused(bob, Map.of("type", "edit", "room", room, "target", bobs, "text", "back", "id", "e"), "not_found");

            admin.join(room);
            await(alice, "presence");
            await(bob, "presence");
            long byAdmin = acked(admin, Map.of("type", "delete", "room", room, "target", bobs2, "id", "d3"));
            assertEquals(byAdmin, seq(await(alice, "deleted")));
            assertEquals(byAdmin, seq(await(bob, "deleted")));

            List<Map<String, Object>> page = history(bob, room);
            Map<String, Object> gone = page.get(0);
            assertEquals(List.of("message", bobs, true, "mc-bob"), List.of(gone.get("type"), seq(gone), gone.get("deleted"), gone.get("from")));
            assertFalse(gone.containsKey("text"), "a deleted message has no text: " + gone);
            assertEquals(List.of("message", "message", "message", "deleted", "deleted"), page.stream().map(m -> m.get("type")).toList());
        }
    }

    @Test
    void aReactionTogglesAndTheHistoryListsWhoReactedWithWhat() throws Exception {
        String room = room();
        try (WsClient alice = client("mc-alice"); WsClient bob = client("mc-bob"); WsClient carol = client("mc-carol")) {
            alice.join(room);
            bob.join(room);
            carol.join(room);
            long m = post(alice, room, "lunch?");
            long on = acked(bob, Map.of("type", "react", "room", room, "target", m, "emoji", "👍", "id", "r1"));
            long carols = acked(carol, Map.of("type", "react", "room", room, "target", m, "emoji", "👍", "id", "r2"));
            long party = acked(carol, Map.of("type", "react", "room", room, "target", m, "emoji", "🎉", "id", "r3"));
            carol.send(Map.of("type", "react", "room", room, "target", m, "emoji", "🎉", "id", "r4"));
            Map<String, Object> offAck = reply(carol, "r4");
            assertEquals(false, offAck.get("on"), () -> "the ack says the second react took it back: " + offAck);
            long off = seq(offAck);
            Map<String, Object> reaction;
            while (!"reaction".equals((reaction = alice.next()).get("type"))) {
                // presence, bob's message
            }
            assertEquals(Map.of("type", "reaction", "room", room, "seq", on, "target", m, "from", "mc-bob", "emoji", "👍", "on", true,
                    "id", "r1"), without(reaction, "ts"));
            assertEquals(carols, seq(await(alice, "reaction")));
            assertEquals(true, await(alice, "reaction").get("on"));
            Map<String, Object> toggled = await(alice, "reaction");
            assertEquals(List.of(off, false), List.of(seq(toggled), toggled.get("on")), "the second react took it back");
            assertEquals(party + 1, off);

            refused(bob, Map.of("type", "react", "room", room, "target", m, "emoji", "x".repeat(17), "id", "long"), "bad_request");
            refused(bob, Map.of("type", "react", "room", room, "target", m + 40, "emoji", "👍", "id", "none"), "not_found");

            Map<String, Object> message = history(alice, room).get(0);
            assertEquals(Map.of("👍", List.of("mc-bob", "mc-carol")), message.get("reactions"));
        }
    }

    @Test
    void aReplyNamesTheMessageItAnswersWhichMustExist() throws Exception {
        String room = room();
        try (WsClient alice = client("mc-alice"); WsClient bob = client("mc-bob")) {
            alice.join(room);
            bob.join(room);
            await(alice, "presence");
            long question = post(alice, room, "tea or coffee?");
            await(bob, "message");
            long answer = acked(bob, Map.of("type", "send", "room", room, "text", "tea", "replyTo", question, "id", "a1"));
            Map<String, Object> reply = await(alice, "message");
            assertEquals(List.of(answer, question), List.of(seq(reply), ((Number) reply.get("replyTo")).longValue()));
            refused(bob, Map.of("type", "send", "room", room, "text", "?", "replyTo", 1000, "id", "a2"), "not_found");
            refused(bob, Map.of("type", "send", "room", room, "text", "?", "replyTo", "one", "id", "a3"), "bad_request");
            assertEquals(question, ((Number) history(bob, room).get(1).get("replyTo")).longValue());
        }
    }

    @Test
    void mentionsOfMembersAreListedAndCountedUntilRead() throws Exception {
        String room = room();
        try (WsClient alice = client("mc-alice"); WsClient bob = client("mc-bob")) {
            alice.join(room);
            bob.join(room);
            await(alice, "presence");
            post(alice, room, "hi @mc-bob, and @mc-carol (not here) and @nobody");
            Map<String, Object> message = await(bob, "message");
            assertEquals(List.of("mc-bob"), message.get("mentions"), "only members are mentioned");
            long later = post(alice, room, "no mention");
            await(bob, "message");
            try (WsClient phone = client("mc-bob")) { // bob's other device is in the room, with the counts
                phone.send(Map.of("type", "rooms", "id", "r"));
                @SuppressWarnings("unchecked")
                Map<String, Object> state = ((List<Map<String, Object>>) await(phone, "rooms").get("rooms")).stream()
                        .filter(s -> room.equals(s.get("room"))).findFirst().orElseThrow();
                assertEquals(List.of(2L, 1L), List.of(((Number) state.get("unread")).longValue(), ((Number) state.get("mentions")).longValue()));
                bob.send(Map.of("type", "read", "room", room, "seq", later, "id", "rd"));
                Map<String, Object> read = await(bob, "read");
                assertEquals(List.of(0L, 0L), List.of(((Number) read.get("unread")).longValue(), ((Number) read.get("mentions")).longValue()));
                assertEquals(0L, ((Number) await(phone, "read").get("mentions")).longValue());
            }
            assertEquals(List.of("mc-bob"), history(bob, room).get(0).get("mentions"));
        }
    }

    @Test
    void aDeletedMentionNoLongerCountsAndEditsAndDeletesAreNotUnread() throws Exception {
        String room = room();
        try (WsClient alice = client("mc-alice"); WsClient bob = client("mc-bob")) {
            alice.join(room);
            bob.join(room);
            await(alice, "presence");
            long m = post(alice, room, "@mc-bob look");
            acked(alice, Map.of("type", "edit", "room", room, "target", m, "text", "@mc-bob look here", "id", "e"));
            bob.send(Map.of("type", "rooms", "id", "r1"));
            assertEquals(List.of(1L, 1L), counts(bob, room, "r1"));
            acked(alice, Map.of("type", "delete", "room", room, "target", m, "id", "d"));
            bob.send(Map.of("type", "rooms", "id", "r2"));
            assertEquals(List.of(0L, 0L), counts(bob, room, "r2"));
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Long> counts(WsClient c, String room, String id) throws InterruptedException {
        Map<String, Object> rooms;
        while (!"rooms".equals((rooms = c.next()).get("type"))) {
            // the room's live events
        }
        assertEquals(id, rooms.get("id"));
        Map<String, Object> state = ((List<Map<String, Object>>) rooms.get("rooms")).stream()
                .filter(s -> room.equals(s.get("room"))).findFirst().orElseThrow();
        return List.of(((Number) state.get("unread")).longValue(), ((Number) state.get("mentions")).longValue());
    }

    @Test
    void changesComeBackWithSinceInSeqOrderAfterAReconnect() throws Exception {
        String room = room();
        long m;
        try (WsClient alice = client("mc-alice")) {
            alice.join(room);
            m = post(alice, room, "v1");
        }
        try (WsClient bob = client("mc-bob")) {
            bob.join(room);
            try (WsClient alice = client("mc-alice")) {
                acked(alice, Map.of("type", "edit", "room", room, "target", m, "text", "v2", "id", "e"));
                acked(alice, Map.of("type", "react", "room", room, "target", m, "emoji", "✅", "id", "r"));
            }
            bob.send(Map.of("type", "leave", "room", room, "id", "l"));
            while (!"left".equals(bob.next().get("type"))) {
                // the live edit and reaction
            }
        }
        try (WsClient bob = client("mc-bob")) {
            bob.send(Map.of("type", "join", "room", room, "since", m, "id", "back"));
            Map<String, Object> edited = await(bob, "edited");
            assertEquals(List.of(m + 1, m, "v2", true), List.of(seq(edited), ((Number) edited.get("target")).longValue(), edited.get("text"),
                    edited.get("replay")));
            Map<String, Object> reaction = await(bob, "reaction");
            assertEquals(List.of(m + 2, "✅", true), List.of(seq(reaction), reaction.get("emoji"), reaction.get("on")));
            Map<String, Object> joined = await(bob, "joined");
            assertEquals(List.of(m + 2, true), List.of(seq(joined), joined.get("recovered")));
        }
    }

    @Test
    void aRestartKeepsEveryChangeAndTheCounts() throws Exception {
        String room = room();
        long kept;
        long gone;
        try (WsClient alice = client("mc-alice"); WsClient bob = client("mc-bob")) {
            alice.join(room);
            bob.join(room);
            kept = post(alice, room, "draft for @mc-bob");
            gone = post(alice, room, "oops");
            acked(alice, Map.of("type", "edit", "room", room, "target", kept, "text", "final for @mc-bob", "id", "e"));
            acked(bob, Map.of("type", "react", "room", room, "target", kept, "emoji", "👀", "id", "r"));
            acked(alice, Map.of("type", "delete", "room", room, "target", gone, "id", "d"));
        }
        server = server.restart();
        try (WsClient bob = WsClient.connect(server.ws(SeededUsers.token("mc-bob")), Map.of("Origin", server.origin()))) {
            @SuppressWarnings("unchecked")
            Map<String, Object> state = ((List<Map<String, Object>>) bob.expect("welcome").get("rooms")).stream()
                    .filter(r -> room.equals(r.get("room"))).findFirst().orElseThrow();
            assertEquals(List.of(1L, 1L), List.of(((Number) state.get("unread")).longValue(), ((Number) state.get("mentions")).longValue()),
                    "one message of alice's left, and it mentions bob");
            List<Map<String, Object>> page = history(bob, room);
            assertEquals(List.of("message", "message", "edited", "reaction", "deleted"), page.stream().map(f -> f.get("type")).toList());
            assertEquals(List.of("final for @mc-bob", List.of("mc-bob"), Map.of("👀", List.of("mc-bob"))),
                    List.of(page.get(0).get("text"), page.get(0).get("mentions"), page.get(0).get("reactions")));
            assertEquals(true, page.get(1).get("deleted"));
        }
    }

    @Test
    void directConversationsTakeTheSameChangesKeyedByWith() throws Exception {
        try (WsClient alice = client("mc-alice"); WsClient bob = client("mc-bob")) {
            alice.send(Map.of("type", "send", "to", "mc-bob", "text", "psst", "id", "dm"));
            long m = seq(await(alice, "ack"));
            await(bob, "message");
            alice.send(Map.of("type", "edit", "with", "mc-bob", "target", m, "text", "psst!", "id", "e"));
            Map<String, Object> ack = await(alice, "ack");
            assertEquals(List.of("mc-bob", m + 1), List.of(ack.get("to"), seq(ack)));
            assertEquals(Map.of("type", "edited", "to", "mc-bob", "seq", m + 1, "target", m, "from", "mc-alice", "text", "psst!", "id", "e"),
                    without(await(bob, "edited"), "ts"));
            refused(bob, Map.of("type", "edit", "with", "mc-alice", "target", m, "text", "no", "id", "e2"), "forbidden");
            refused(bob, Map.of("type", "delete", "with", "mc-alice", "target", m, "id", "d"), "forbidden");
            bob.send(Map.of("type", "react", "with", "mc-alice", "target", m, "emoji", "❤️", "id", "r"));
            assertEquals(m + 2, seq(await(bob, "ack")));
            Map<String, Object> reaction = await(alice, "reaction");
            assertEquals(List.of("mc-bob", "mc-alice", "❤️", true), List.of(reaction.get("from"), reaction.get("to"), reaction.get("emoji"),
                    reaction.get("on")));
            refused(bob, Map.of("type", "react", "with", "mc-carol", "target", m, "emoji", "❤️", "id", "r2"), "not_found");
            bob.send(Map.of("type", "history", "with", "mc-alice", "id", "h"));
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> page = (List<Map<String, Object>>) await(bob, "history").get("messages");
            assertEquals(List.of("message", "edited", "reaction"), page.stream().map(f -> f.get("type")).toList());
            assertEquals(List.of("psst!", Map.of("❤️", List.of("mc-bob"))), List.of(page.get(0).get("text"), page.get(0).get("reactions")));
        }
    }
}
