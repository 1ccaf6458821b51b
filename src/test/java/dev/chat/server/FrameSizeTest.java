package dev.chat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.RawWsClient;
import dev.chat.testing.SeededUsers;
import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * CHAT_MAX_FRAME_BYTES: a larger inbound frame ends its connection with 1009 (the decoder checks
 * it to the byte; the embedded Tyrus engine refuses, unbuffered, frames more than one read larger,
 * with 1011 "Buffer overflow"); a frame within the limit is served; nobody else notices.
 */
@Timeout(30)
class FrameSizeTest {
    private static final int LIMIT = 1024;
    /** CloseCode.TOO_BIG. */
    private static final int REFUSED = 1009;
    /** What Tyrus 2.1.6 answers a frame larger than its incoming buffer (limit + 14 + 64 KiB) with. */
    private static final int ENGINE_REFUSED = 1011;
    private static TestServer server;
    private static int rooms;
    private String room;
    private WsClient bystander;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("CHAT_MAX_FRAME_BYTES", "1KiB"),
                SeededUsers.create("fs-big", "fs-bystander").dataDir());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @BeforeEach
    void bystander() throws Exception {
        room = "frames-" + (++rooms);
        bystander = server.client(SeededUsers.token("fs-bystander"));
        bystander.join(room);
    }

    @AfterEach
    void theBystanderNoticedNothingAndStillChats() throws Exception {
        bystander.assertNothingPending(room);
        bystander.say(room, "still fine");
        assertFalse(bystander.isClosed());
        bystander.close();
    }

    private RawWsClient sender() throws Exception {
        RawWsClient c = RawWsClient.connect(server.ws(SeededUsers.token("fs-big")), Map.of("Origin", server.origin()),
                RawWsClient.Options.defaults());
        c.expect("welcome");
        c.send(Map.of("type", "join", "room", room, "id", "j"));
        c.expect("joined");
        assertEquals(Map.of("type", "presence", "room", room, "user", "fs-big", "state", "joined"), bystander.next());
        return c;
    }

    /** A send frame whose UTF-8 payload is exactly {@code bytes} long. */
    private String sendFrameOf(int bytes, String id) {
        String head = "{\"type\":\"send\",\"room\":\"" + room + "\",\"id\":\"" + id + "\",\"text\":\"";
        String tail = "\"}";
        String text = head + "x".repeat(bytes - head.length() - tail.length()) + tail;
        assertEquals(bytes, text.getBytes(StandardCharsets.UTF_8).length);
        return text;
    }

    @Test
    void aFourKibFrameClosesTheConnectionAndOthersAreUnaffected() throws Exception {
        try (RawWsClient big = sender()) {
            big.sendText(sendFrameOf(4096, "big"));
            RawWsClient.Closed closed = big.awaitClose();
            assertEquals(REFUSED, closed.code(), closed::toString);
            assertTrue(big.drainJson().isEmpty(), "no answer to the oversize frame");
        }
        assertEquals(Map.of("type", "presence", "room", room, "user", "fs-big", "state", "left"), bystander.next());
        assertEquals(1, server.server().app().rooms().localMembers(room));
    }

    @Test
    void aFrameOfExactlyTheLimitIsServed() throws Exception {
        try (RawWsClient c = sender()) {
            String frame = sendFrameOf(LIMIT, "at-limit");
            c.sendText(frame);
            Map<String, Object> ack = c.expect("ack");
            assertEquals("at-limit", ack.get("id"));
            Map<String, Object> m = bystander.expect("message");
            assertEquals("at-limit", m.get("id"));
            assertEquals(ack.get("seq"), m.get("seq"));
            c.send(Map.of("type", "leave", "room", room, "id", "l"));
            c.expect("left");
        }
        assertEquals("left", bystander.expect("presence").get("state"));
    }

    /** The limit is per frame: frames well under it, sent back to back in one write, are all served. */
    @Test
    void pipelinedSmallFramesAreAllServed() throws Exception {
        try (RawWsClient c = sender()) {
            java.util.List<String> frames = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                frames.add(sendFrameOf(LIMIT / 2, "p" + i)); // 4 KiB in all, each frame half the limit
            }
            c.sendTexts(frames.subList(0, 4)); // the default burst (40) allows these; two writes of four
            c.sendTexts(frames.subList(4, 8));
            for (int i = 0; i < 8; i++) {
                assertEquals("p" + i, c.expect("ack").get("id"));
                assertEquals("p" + i, bystander.expect("message").get("id"));
            }
            c.send(Map.of("type", "leave", "room", room, "id", "l"));
            c.expect("left");
        }
        assertEquals("left", bystander.expect("presence").get("state"));
    }

    /** The limit is the payload size, to the byte. */
    @Test
    void aFrameOneByteOverTheLimitIsRefused() throws Exception {
        try (RawWsClient c = sender()) {
            c.sendText(sendFrameOf(LIMIT + 1, "over"));
            RawWsClient.Frame answer = c.readFrame(WsClient.WAIT);
            assertTrue(answer != null && answer.opcode() == RawWsClient.CLOSE,
                    () -> "a frame of " + (LIMIT + 1) + " bytes must be refused, got " + (answer == null ? "end of stream" : answer.text()));
            assertEquals(REFUSED, answer.closeCode(), answer::closeReason);
        }
        assertEquals(Map.of("type", "presence", "room", room, "user", "fs-big", "state", "left"), bystander.next());
    }

    @Test
    void aFrameFarOverTheLimitIsRefusedByTheEngineUnbuffered() throws Exception {
        try (RawWsClient big = sender()) {
            big.sendText(sendFrameOf(200 * 1024, "huge"));
            RawWsClient.Closed closed = big.awaitClose();
            assertEquals(ENGINE_REFUSED, closed.code(), closed::toString);
        }
        assertEquals(Map.of("type", "presence", "room", room, "user", "fs-big", "state", "left"), bystander.next());
    }
}
