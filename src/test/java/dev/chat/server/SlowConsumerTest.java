package dev.chat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.chat.testing.RawWsClient;
import dev.chat.testing.SeededUsers;
import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Backpressure: one member of a busy room stops reading; its outbox fills and it is closed as a
 * slow consumer, while fifty reading members get every message exactly once, in order, and the
 * server's memory stays bounded (it never buffers more than the outbox bounds for the stalled one).
 */
@Timeout(60)
class SlowConsumerTest {
    private static final int MEMBERS = 50;
    private static final int MESSAGES = 3000;
    /**
     * Bytes of text per message. What a stalled reader holds up is not just its outbox: first the
     * kernel's socket buffers fill, and on loopback Linux grows the server's send buffer up to
     * tcp_wmem's maximum (4 MiB by default; about 2.7 MB was absorbed here before the outbox
     * overflowed). 3000 messages of ~100 bytes never overflow it, so each message carries ~1.4 KB:
     * 3000 of them are ~4.5 MB per member, more than the kernel can take.
     */
    private static final int TEXT_BYTES = 1400;
    /**
     * Unacknowledged sends at most: 20 x 1.4 KB stays well under Tyrus's incoming buffer (64 KiB +
     * 14), which today also bounds pipelined frames together (see FrameSizeTest#pipelinedSmallFramesAreAllServed).
     */
    private static final int WINDOW = 20;
    private static final String ROOM = "firehose";
    /** Generous: the whole test JVM (server + 52 clients) measures ~30-60 MB after a full GC. */
    private static final long HEAP_BOUND = 256L << 20;
    private static TestServer server;

    @BeforeAll
    static void start() {
        SeededUsers users = SeededUsers.create("sc-slow", "sc-publisher");
        for (int i = 0; i < MEMBERS; i++) {
            users.add("sc-member-" + i);
        }
        server = TestServer.start(Map.of(
                "CHAT_OUTBOX_MAX_MESSAGES", "1000",
                "CHAT_OUTBOX_MAX_BYTES", "256KiB", // headroom for healthy members whose sends wait for a writer thread
                "CHAT_RATE_PER_SEC", "100000",
                "CHAT_RATE_BURST", "100000"), users.dataDir());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static String text(int i) {
        String head = "message " + i + " ";
        return head + "x".repeat(TEXT_BYTES - head.length());
    }

    @Test
    void aMemberThatStopsReadingIsClosedAndNobodyElseLosesAnything() throws Exception {
        List<WsClient> members = new ArrayList<>();
        try (RawWsClient slow = RawWsClient.connect(server.ws(SeededUsers.token("sc-slow")),
                Map.of("Origin", server.origin()), RawWsClient.Options.defaults().withReceiveBufferSize(4096))) {
            slow.expect("welcome");
            slow.send(Map.of("type", "join", "room", ROOM, "id", "j"));
            slow.expect("joined");
            // from here on the slow client reads nothing until the end of the test

            for (int i = 0; i < MEMBERS; i++) {
                WsClient m = server.client(SeededUsers.token("sc-member-" + i));
                members.add(m);
                m.join(ROOM);
            }
            WsClient publisher = server.client(SeededUsers.token("sc-publisher"));
            members.add(publisher);
            publisher.join(ROOM);
            assertEquals(MEMBERS + 2, server.server().app().rooms().localMembers(ROOM));

            long t0 = System.nanoTime();
            publish(publisher);
            long t1 = System.nanoTime();
            assertEquals(MEMBERS + 1, server.server().app().rooms().localMembers(ROOM), "the slow one is out of the room");
            assertEquals(MEMBERS + 1, server.server().app().connections().size(), "and out of the node");

            for (int i = 0; i < MEMBERS; i++) {
                assertEveryMessageOnceInOrder(i, members.get(i));
            }

            System.out.printf("SlowConsumerTest: publishing took %d ms, checking the members %d ms%n",
                    (t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000);
            // memory: the stalled connection is still open on the client side, not read
            long used = usedHeapAfterGc();
            System.out.printf("SlowConsumerTest: used heap after GC %.1f MB (max %d MB)%n",
                    used / 1048576.0, Runtime.getRuntime().maxMemory() >> 20);
            assertTrue(used < HEAP_BOUND, "used heap after GC: " + (used >> 20) + " MB");

            // reading again, the slow client finds what was in the pipe, then the close (or just the end)
            RawWsClient.Closed closed = slow.awaitClose(Duration.ofSeconds(10));
            List<Map<String, Object>> got = slow.drainJson();
            long messages = got.stream().filter(f -> "message".equals(f.get("type"))).count();
            System.out.println("SlowConsumerTest: slow client got " + messages + " messages (" + got.size()
                    + " frames) before " + closed);
            assertEquals(4001, closed.code(), closed::toString);
            assertEquals("slow_consumer", closed.reason());
            assertTrue(messages < MESSAGES, "it was cut off: " + messages);
            long expected = 1;
            for (Map<String, Object> f : got) {
                if ("message".equals(f.get("type"))) {
                    assertEquals(expected++, ((Number) f.get("seq")).longValue(), "what it got is a gap-free prefix");
                }
            }
        } finally {
            members.forEach(WsClient::close);
        }
    }

    /** Sends the messages with at most {@link #WINDOW} unacknowledged; every ack in order. */
    private static void publish(WsClient publisher) throws InterruptedException {
        int acked = 0;
        boolean sawSlowLeave = false;
        for (int i = 1; i <= MESSAGES || acked < MESSAGES; ) {
            if (i <= MESSAGES && i - acked <= WINDOW) {
                publisher.send(Map.of("type", "send", "room", ROOM, "text", text(i), "id", "p" + i));
                i++;
                continue;
            }
            Map<String, Object> frame = publisher.next();
            if ("presence".equals(frame.get("type"))) {
                sawSlowLeave |= isSlowLeave(frame);
                continue;
            }
            acked++;
            assertEquals("ack", frame.get("type"), frame::toString);
            assertEquals("p" + acked, frame.get("id"));
            assertEquals(acked, ((Number) frame.get("seq")).intValue());
        }
        if (!sawSlowLeave) {
            assertTrue(isSlowLeave(publisher.next()), "the publisher sees the slow one leave");
        }
        publisher.assertNothingPending(ROOM);
    }

    private static boolean isSlowLeave(Map<String, Object> frame) {
        if (frame.equals(Map.of("type", "presence", "room", ROOM, "user", "sc-slow", "state", "left"))) {
            return true;
        }
        fail("unexpected frame " + frame);
        return false;
    }

    private static void assertEveryMessageOnceInOrder(int index, WsClient member) throws InterruptedException {
        // presence of the members who joined later comes first; JoinPresenceTest checks it (see the report), here it is skipped
        Map<String, Object> publisherJoined = Map.of("type", "presence", "room", ROOM, "user", "sc-publisher", "state", "joined");
        for (Map<String, Object> frame = member.next(); !frame.equals(publisherJoined); frame = member.next()) {
            assertEquals("joined", frame.get("state"), frame::toString);
        }
        int next = 1;
        int slowLeaves = 0;
        while (next <= MESSAGES || slowLeaves == 0) {
            Map<String, Object> frame = member.next();
            if ("message".equals(frame.get("type"))) {
                assertEquals(next, ((Number) frame.get("seq")).intValue(), () -> "member " + index + ": " + frame);
                assertEquals("p" + next, frame.get("id"));
                assertEquals(text(next), frame.get("text"));
                assertEquals("sc-publisher", frame.get("from"));
                next++;
            } else if (isSlowLeave(frame)) {
                slowLeaves++;
            }
        }
        member.assertNothingPending(ROOM);
        assertFalse(member.isClosed());
    }

    private static long usedHeapAfterGc() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }
}
