package dev.chat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.chat.protocol.CloseCode;
import dev.chat.protocol.ErrorCode;
import dev.chat.testing.HostileFrames;
import dev.chat.testing.RawWsClient;
import dev.chat.testing.SeededUsers;
import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A fuzz test with a fixed seed: several hostile connections at once send thousands of random and
 * malformed frames (invalid JSON, deep nesting, huge numbers and strings, control characters,
 * valid JSON with wrong types, binary frames, invalid UTF-8, oversize frames). Each frame must get
 * an {@code error} frame with a known code, or end its connection with the documented close code
 * (after which the fuzzer reconnects). Meanwhile two other clients keep chatting and see every
 * seq exactly once, in order; afterwards the node still admits and serves, and the heap has not grown.
 */
@Timeout(120)
class HostileInputTest {
    private static final long SEED = 20261127L;
    private static final int JDK_FUZZERS = 4;
    private static final int JDK_FRAMES_EACH = 750;
    private static final int RAW_FUZZERS = 2;
    private static final int RAW_FRAMES_EACH = 400;
    private static final int MAX_FRAME = 8 * 1024;
    /** Growth of used heap (after GC) the run may leave behind. */
    private static final long HEAP_GROWTH_BOUND = 64L << 20;
    private static final Set<String> ERROR_CODES = Arrays.stream(ErrorCode.values()).map(ErrorCode::wire)
            .collect(Collectors.toSet());
    private static final String ROOM = "calm";

    private final Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();

    private void count(String outcome) {
        outcomes.computeIfAbsent(outcome, o -> new AtomicInteger()).incrementAndGet();
    }

    @Test
    void hostileFramesGetErrorsOrDocumentedClosesWhileOthersChatUndisturbed() throws Exception {
        List<String> users = new ArrayList<>(List.of("calm-a", "calm-b"));
        for (int i = 0; i < JDK_FUZZERS + RAW_FUZZERS; i++) {
            users.add("fuzz-" + i);
        }
        long heapBefore = usedHeapAfterGc();
        long started = System.nanoTime();
        try (TestServer server = TestServer.start(Map.of(
                "CHAT_MAX_FRAME_BYTES", "8KiB",
                // the parser is under test here, not the rate limiter (RateLimitTest covers that)
                "CHAT_RATE_PER_SEC", "1000000", "CHAT_RATE_BURST", "1000000"),
                SeededUsers.create(users.toArray(String[]::new)).dataDir())) {
            ExecutorService pool = Executors.newFixedThreadPool(JDK_FUZZERS + RAW_FUZZERS + 1);
            AtomicBoolean fuzzing = new AtomicBoolean(true);
            try {
                Future<int[]> chat = pool.submit(() -> chat(server, fuzzing));
                List<Future<?>> fuzzers = new ArrayList<>();
                for (int i = 0; i < JDK_FUZZERS; i++) {
                    int n = i;
                    fuzzers.add(pool.submit(() -> { jdkFuzzer(server, "fuzz-" + n, new Random(SEED + n)); return null; }));
                }
                for (int i = 0; i < RAW_FUZZERS; i++) {
                    int n = JDK_FUZZERS + i;
                    fuzzers.add(pool.submit(() -> { rawFuzzer(server, "fuzz-" + n, new Random(SEED + n)); return null; }));
                }
                for (Future<?> f : fuzzers) {
                    f.get(90, TimeUnit.SECONDS);
                }
                fuzzing.set(false);
                int[] chatted = chat.get(30, TimeUnit.SECONDS);
                assertTrue(chatted[0] >= 20, "the calm clients barely chatted: " + chatted[0]);
                System.out.printf("HostileInputTest: %d ms, outcomes %s, %d calm messages%n",
                        (System.nanoTime() - started) / 1_000_000, outcomes, chatted[0]);
            } finally {
                pool.shutdownNow();
            }

            // the node still admits and serves
            try (WsClient late = server.client(SeededUsers.token("calm-a"))) {
                late.join("after-the-storm");
            }
            assertEquals(200, server.get("health/live").statusCode());
        }
        long heapAfter = usedHeapAfterGc();
        assertTrue(heapAfter - heapBefore < HEAP_GROWTH_BOUND,
                () -> "used heap grew from " + (heapBefore >> 20) + " MB to " + (heapAfter >> 20) + " MB");
    }

    // ---------------------------------------------------------------- the calm clients

    /** Two clients take turns sending until the fuzzers finish; returns {messages}. Every seq seen once, in order. */
    private static int[] chat(TestServer server, AtomicBoolean fuzzing) throws Exception {
        try (WsClient a = server.client(SeededUsers.token("calm-a")); WsClient b = server.client(SeededUsers.token("calm-b"))) {
            a.join(ROOM);
            b.join(ROOM);
            a.expect("presence");
            long expected = 1;
            List<Long> seenByA = new ArrayList<>();
            List<Long> seenByB = new ArrayList<>();
            do {
                boolean aSends = expected % 2 == 1;
                WsClient sender = aSends ? a : b;
                WsClient receiver = aSends ? b : a;
                long seq = sender.say(ROOM, "calm " + expected);
                Map<String, Object> m = receiver.expect("message");
                assertEquals("calm " + expected, m.get("text"));
                assertEquals(seq, ((Number) m.get("seq")).longValue());
                (aSends ? seenByA : seenByB).add(seq);
                (aSends ? seenByB : seenByA).add(seq);
                expected++;
            } while (fuzzing.get() || expected <= 20);
            a.assertNothingPending(ROOM);
            b.assertNothingPending(ROOM);
            List<Long> all = new ArrayList<>();
            for (long s = 1; s < expected; s++) {
                all.add(s);
            }
            assertEquals(all, seenByA, "a saw every seq exactly once, in order");
            assertEquals(all, seenByB, "b saw every seq exactly once, in order");
            return new int[] {(int) (expected - 1)};
        }
    }

    // ---------------------------------------------------------------- JDK-client fuzzer: text frames of valid UTF-8

    private void jdkFuzzer(TestServer server, String user, Random random) throws Exception {
        WsClient c = server.client(SeededUsers.token(user));
        try {
            for (int i = 0; i < JDK_FRAMES_EACH; i++) {
                String frame = HostileFrames.text(random);
                c.sendRaw(frame);
                Map<String, Object> reply = c.next();
                if (!"error".equals(reply.get("type")) || !ERROR_CODES.contains(reply.get("code"))) {
                    fail("frame " + abbreviate(frame) + " got " + reply);
                }
                count("error:" + reply.get("code"));
            }
        } finally {
            c.close();
        }
    }

    // ---------------------------------------------------------------- raw fuzzer: what the JDK client cannot send

    private void rawFuzzer(TestServer server, String user, Random random) throws Exception {
        RawWsClient c = rawClient(server, user);
        try {
            for (int i = 0; i < RAW_FRAMES_EACH; i++) {
                int kind = random.nextInt(100);
                if (kind < 6) {
                    c.sendFrame(true, RawWsClient.TEXT, HostileFrames.invalidUtf8(random));
                    c = expectClose(server, user, c, CloseCode.INVALID_PAYLOAD, "invalid UTF-8");
                } else if (kind < 10) {
                    c.sendText("{\"type\":\"send\",\"room\":\"r\",\"text\":\"" + "x".repeat(MAX_FRAME + random.nextInt(8_000)) + "\"}");
                    c = expectClose(server, user, c, CloseCode.TOO_BIG, "oversize");
                } else if (kind < 11) {
                    // far over the limit: the engine refuses it unbuffered (see FrameSizeTest)
                    c.sendFrame(true, random.nextBoolean() ? RawWsClient.TEXT : RawWsClient.BINARY, new byte[MAX_FRAME + 80_000]);
                    c = expectClose(server, user, c, CloseCode.INTERNAL_ERROR, "far oversize");
                } else if (kind < 40) {
                    byte[] data = new byte[random.nextInt(4_000)];
                    random.nextBytes(data);
                    c.sendFrame(true, RawWsClient.BINARY, data);
                    expectError(c, "binary");
                } else if (kind < 70) {
                    byte[] data = ("{\"type\":\"send\",\"room\":\"r\",\"text\":\"a_b\"}").getBytes(StandardCharsets.UTF_8);
                    data[data.length - 4] = (byte) random.nextInt(0x20); // a raw control character inside the string
                    c.sendFrame(true, RawWsClient.TEXT, data);
                    expectError(c, "control character");
                } else {
                    c.sendText(HostileFrames.text(random));
                    expectError(c, "hostile text");
                }
            }
        } finally {
            c.close();
        }
    }

    private static RawWsClient rawClient(TestServer server, String user) throws Exception {
        RawWsClient c = RawWsClient.connect(server.ws(SeededUsers.token(user)), Map.of("Origin", server.origin()),
                RawWsClient.Options.defaults());
        c.expect("welcome");
        return c;
    }

    private void expectError(RawWsClient c, String what) throws Exception {
        Map<String, Object> reply = c.nextJson(WsClient.WAIT);
        if (!"error".equals(reply.get("type")) || !ERROR_CODES.contains(reply.get("code"))) {
            fail(what + " got " + reply);
        }
        count("error:" + reply.get("code"));
    }

    /** The connection must end with {@code code}; returns a new connection for the rest of the run. */
    private RawWsClient expectClose(TestServer server, String user, RawWsClient c, CloseCode code, String what)
            throws Exception {
        RawWsClient.Closed closed = c.awaitClose(Duration.ofSeconds(10));
        assertEquals(code.code(), closed.code(), () -> what + ": " + closed);
        count("close:" + closed.code());
        c.close();
        return rawClient(server, user);
    }

    private static String abbreviate(String s) {
        return s.length() <= 120 ? s : s.substring(0, 120) + "... (" + s.length() + " chars)";
    }

    private static long usedHeapAfterGc() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }
}
