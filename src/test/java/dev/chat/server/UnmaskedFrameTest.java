package dev.chat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.RawWsClient;
import dev.chat.testing.SeededUsers;
import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * RFC 6455 §5.1: "The server MUST close the connection upon receiving a frame that is not masked."
 * The embedded server closes such a connection with 1002 (protocol error) before the frame reaches
 * the chat, serves the masked frames that came before it, and nobody else notices. Masked frames
 * are served however the network cuts them.
 */
@Timeout(30)
class UnmaskedFrameTest {
    private static final int PROTOCOL_ERROR = 1002;
    private static TestServer server;
    private static int rooms;
    private String room;
    private WsClient bystander;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of(), SeededUsers.create("um-sender", "um-bystander").dataDir());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @BeforeEach
    void bystander() throws Exception {
        room = "unmasked-" + (++rooms);
        bystander = server.client(SeededUsers.token("um-bystander"));
        bystander.join(room);
    }

    @AfterEach
    void theBystanderStillChats() throws Exception {
        bystander.say(room, "still fine");
        assertFalse(bystander.isClosed());
        bystander.close();
    }

    private RawWsClient sender() throws Exception {
        RawWsClient c = RawWsClient.connect(server.ws(SeededUsers.token("um-sender")), Map.of("Origin", server.origin()),
                RawWsClient.Options.defaults());
        c.expect("welcome");
        c.send(Map.of("type", "join", "room", room, "id", "j"));
        c.expect("joined");
        assertEquals(Map.of("type", "presence", "room", room, "user", "um-sender", "state", "joined"), bystander.next());
        return c;
    }

    private byte[] send(String id, String text) {
        return ("{\"type\":\"send\",\"room\":\"" + room + "\",\"id\":\"" + id + "\",\"text\":\"" + text + "\"}")
                .getBytes(StandardCharsets.UTF_8);
    }

    private void assertTheSenderLeftAndNothingElse() throws Exception {
        assertEquals(Map.of("type", "presence", "room", room, "user", "um-sender", "state", "left"), bystander.next());
        bystander.assertNothingPending(room);
    }

    @Test
    void anUnmaskedTextFrameIsClosed1002AndNeverReachesTheRoom() throws Exception {
        try (RawWsClient c = sender()) {
            c.sendBytes(RawWsClient.unmaskedFrame(true, RawWsClient.TEXT, send("u1", "unmasked")));
            RawWsClient.Closed closed = c.awaitClose();
            assertEquals(PROTOCOL_ERROR, closed.code(), closed::toString);
            assertTrue(c.drainJson().isEmpty(), "no ack for the unmasked frame: " + c.drainJson());
        }
        assertTheSenderLeftAndNothingElse();
    }

    @Test
    void maskedFramesBeforeAnUnmaskedOneInTheSameWriteReachTheRoomThenTheConnectionIsClosed1002() throws Exception {
        try (RawWsClient c = sender()) {
            ByteArrayOutputStream write = new ByteArrayOutputStream();
            write.writeBytes(RawWsClient.frame(true, RawWsClient.TEXT, send("m1", "first")));
            write.writeBytes(RawWsClient.frame(true, RawWsClient.TEXT, send("m2", "second")));
            write.writeBytes(RawWsClient.unmaskedFrame(true, RawWsClient.TEXT, send("u1", "unmasked")));
            write.writeBytes(RawWsClient.frame(true, RawWsClient.TEXT, send("m3", "after")));
            c.sendBytes(write.toByteArray());
            RawWsClient.Closed closed = c.awaitClose();
            assertEquals(PROTOCOL_ERROR, closed.code(), closed::toString);
            // their acks wait for the commit, and the close does not wait for them
        }
        // the sender's close may overtake the fan-out of its last messages (it follows their acks)
        List<Map<String, Object>> seen = List.of(bystander.next(), bystander.next(), bystander.next());
        assertEquals(List.of("first", "second"),
                seen.stream().filter(f -> "message".equals(f.get("type"))).map(f -> f.get("text")).toList());
        assertTrue(seen.contains(Map.of("type", "presence", "room", room, "user", "um-sender", "state", "left")), seen::toString);
        bystander.assertNothingPending(room);
    }

    @Test
    void anUnmaskedControlFrameIsClosed1002Too() throws Exception {
        try (RawWsClient c = sender()) {
            c.sendBytes(RawWsClient.unmaskedFrame(true, RawWsClient.PING, "hi".getBytes(StandardCharsets.UTF_8)));
            RawWsClient.Closed closed = c.awaitClose();
            assertEquals(PROTOCOL_ERROR, closed.code(), closed::toString);
        }
        assertTheSenderLeftAndNothingElse();
    }

    /**
     * No way around the check: bytes that arrive in the same read as the upgrade request never reach
     * the chat, masked or not (Tyrus 2.1 drops them), and those that arrive later are checked.
     */
    @Test
    void anUnmaskedFrameRightBehindTheUpgradeRequestIsNeverServed() throws Exception {
        byte[] early = RawWsClient.unmaskedFrame(true, RawWsClient.TEXT,
                ("{\"type\":\"join\",\"room\":\"" + room + "\",\"id\":\"early\"}").getBytes(StandardCharsets.UTF_8));
        try (RawWsClient c = RawWsClient.connect(server.ws(SeededUsers.token("um-sender")),
                Map.of("Origin", server.origin()), RawWsClient.Options.defaults(), early)) {
            try {
                c.sendBytes(RawWsClient.unmaskedFrame(true, RawWsClient.TEXT, send("u1", "later")));
            } catch (java.io.IOException closedAlready) {
                // the early frame came in a read of its own and was refused: fine
            }
            RawWsClient.Closed closed = c.awaitClose();
            assertEquals(PROTOCOL_ERROR, closed.code(), closed::toString);
            assertTrue(c.drainJson().stream().noneMatch(f -> "joined".equals(f.get("type"))), "the early join was not served");
        }
        bystander.assertNothingPending(room);
    }

    /** The check follows frame boundaries across reads: a header cut anywhere, lengths of 7 and 16 bits. */
    @Test
    void maskedFramesSentAByteAtATimeAreServed() throws Exception {
        try (RawWsClient c = sender()) {
            ByteArrayOutputStream frames = new ByteArrayOutputStream();
            frames.writeBytes(RawWsClient.frame(true, RawWsClient.TEXT, send("s1", "short")));
            frames.writeBytes(RawWsClient.frame(true, RawWsClient.PING, new byte[0]));
            frames.writeBytes(RawWsClient.frame(true, RawWsClient.TEXT, send("s2", "x".repeat(300))));
            for (byte b : frames.toByteArray()) {
                c.sendBytes(new byte[] {b});
            }
            assertEquals("s1", c.expect("ack").get("id"));
            assertEquals("s2", c.expect("ack").get("id"));
            // before the leave: a message's fan-out follows its ack, and may be overtaken by a presence
            assertEquals("short", bystander.expect("message").get("text"));
            assertEquals("x".repeat(300), bystander.expect("message").get("text"));
            c.send(Map.of("type", "leave", "room", room, "id", "l"));
            c.expect("left");
        }
        assertEquals("left", bystander.expect("presence").get("state"));
    }
}
