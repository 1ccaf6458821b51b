package dev.chat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every kind of bad frame gets its error frame (with the request id when there was one), the
 * connection stays open, and a bystander in the same room notices nothing.
 */
@Timeout(60)
class BadInputTest {
    private static TestServer server;
    private static String alice;
    private static String bob;
    private static int rooms;
    private WsClient sender;
    private WsClient bystander;
    /** A fresh room per test, so presence from the previous test's closing clients cannot interleave. */
    private String room;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(Map.of("CHAT_MAX_TEXT", "10"));
        alice = server.token("bad-alice");
        bob = server.token("bad-bob");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @BeforeEach
    void connect() throws Exception {
        sender = server.client(alice);
        bystander = server.client(bob);
        room = "bad-" + (++rooms);
        sender.join(room);
        bystander.join(room);
        sender.expect("presence");
    }

    @AfterEach
    void afterEachTheConnectionStillWorksAndTheBystanderSawOnlyTheRealMessage() throws Exception {
        long seq = sender.say(room, "real");
        Map<String, Object> m = bystander.expect("message");
        assertEquals("real", m.get("text"));
        assertEquals(seq, ((Number) m.get("seq")).longValue());
        bystander.assertNothingPending(room);
        assertFalse(sender.isClosed());
        sender.close();
        bystander.close();
    }

    private void assertError(String frame, String code, String id) throws InterruptedException {
        sender.sendRaw(frame);
        Map<String, Object> error = sender.expect("error");
        assertEquals(code, error.get("code"), () -> "for " + frame + ": " + error);
        assertEquals(id, error.get("id"));
        assertEquals(String.class, error.get("message").getClass());
    }

    @Test
    void malformedJson() throws Exception {
        assertError("{\"type\":\"send\",", "bad_request", null);
    }

    @Test
    void notAnObject() throws Exception {
        assertError("[1,2]", "bad_request", null);
        assertError("\"send\"", "bad_request", null);
    }

    @Test
    void unknownTypeEchoesTheId() throws Exception {
        assertError("{\"type\":\"dance\",\"id\":\"d1\"}", "unknown_type", "d1");
    }

    @Test
    void missingType() throws Exception {
        assertError("{\"room\":\"" + room + "\",\"id\":\"m1\"}", "bad_request", "m1");
    }

    @Test
    void mistypedFields() throws Exception {
        assertError("{\"type\":\"send\",\"room\":\"" + room + "\",\"text\":42,\"id\":\"t1\"}", "bad_request", "t1");
        assertError("{\"type\":\"join\",\"room\":[\"bad\"],\"id\":\"t2\"}", "bad_request", "t2");
        assertError("{\"type\":7}", "bad_request", null);
        assertError("{\"type\":\"join\",\"room\":\"" + room + "\",\"id\":7}", "bad_request", null);
    }

    @Test
    void missingFields() throws Exception {
        assertError("{\"type\":\"send\",\"room\":\"" + room + "\",\"id\":\"f1\"}", "bad_request", "f1");
        assertError("{\"type\":\"send\",\"text\":\"hi\",\"id\":\"f2\"}", "bad_request", "f2");
        assertError("{\"type\":\"join\",\"id\":\"f3\"}", "bad_request", "f3");
    }

    @Test
    void invalidRoomNames() throws Exception {
        assertError("{\"type\":\"join\",\"room\":\"has space\",\"id\":\"n1\"}", "bad_request", "n1");
        assertError("{\"type\":\"join\",\"room\":\"" + "r".repeat(65) + "\",\"id\":\"n2\"}", "bad_request", "n2");
        assertError("{\"type\":\"join\",\"room\":\"\",\"id\":\"n3\"}", "bad_request", "n3");
    }

    @Test
    void emptyText() throws Exception {
        assertError("{\"type\":\"send\",\"room\":\"" + room + "\",\"text\":\"\",\"id\":\"e1\"}", "bad_request", "e1");
    }

    @Test
    void textLongerThanMaxTextIsTooLarge() throws Exception {
        assertError("{\"type\":\"send\",\"room\":\"" + room + "\",\"text\":\"12345678901\",\"id\":\"l1\"}", "too_large", "l1");
    }

    @Test
    void maxTextCountsCharactersNotUtf16Units() throws Exception {
        // ten emoji are ten characters (twenty UTF-16 units): accepted
        sender.send(Map.of("type", "send", "room", room, "text", "\uD83D\uDE00".repeat(10), "id", "emoji"));
        assertEquals("emoji", sender.expect("ack").get("id"));
        assertEquals("\uD83D\uDE00".repeat(10), bystander.expect("message").get("text"));
    }

    @Test
    void idLongerThan64IsABadRequestWithoutEcho() throws Exception {
        assertError("{\"type\":\"join\",\"room\":\"" + room + "\",\"id\":\"" + "i".repeat(65) + "\"}", "bad_request", null);
    }

    @Test
    void unknownFieldsAreIgnored() throws Exception {
        sender.sendRaw("{\"type\":\"join\",\"room\":\"" + room + "\",\"id\":\"u1\",\"colour\":\"blue\"}");
        assertEquals("u1", sender.expect("joined").get("id"));
    }

    @Test
    void binaryFrame() throws Exception {
        sender.sendBinary(new byte[] {1, 2, 3});
        Map<String, Object> error = sender.expect("error");
        assertEquals("bad_request", error.get("code"));
        assertNull(error.get("id"));
    }
}
