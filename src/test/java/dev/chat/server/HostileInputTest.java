package dev.chat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.chat.protocol.CloseCode;
import dev.chat.protocol.ErrorCode;
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
                String frame = hostileText(random);
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

    /** A text frame (valid UTF-8, within the frame limit) that is not a request the server can carry out. */
    static String hostileText(Random r) {
        return switch (r.nextInt(12)) {
            case 0 -> randomPrintable(r, r.nextInt(200));
            case 1 -> {
                String valid = "{\"type\":\"send\",\"room\":\"r" + r.nextInt(100) + "\",\"text\":\"hi\",\"id\":\"x\"}";
                yield valid.substring(0, r.nextInt(valid.length() - 1)); // truncated
            }
            case 2 -> {
                int depth = 17 + r.nextInt(3_000);
                String open = r.nextBoolean() ? "[" : "{\"a\":";
                yield "{\"type\":\"join\",\"room\":\"r\",\"x\":" + open.repeat(depth / open.length() + 1);
            }
            case 3 -> {
                String huge = r.nextBoolean() ? "1e" + (100_000 + r.nextInt(1_000_000)) : "9".repeat(1 + r.nextInt(6_000));
                String field = List.of("id", "room", "type", "text").get(r.nextInt(4));
                yield "{\"type\":\"send\",\"room\":\"r\",\"text\":\"t\",\"" + field + "\":" + huge + "}";
            }
            case 4 -> r.nextBoolean()
                    ? "{\"type\":\"" + "t".repeat(1 + r.nextInt(7_000)) + "\"}"
                    : "{\"type\":\"join\",\"room\":\"" + "r".repeat(65 + r.nextInt(7_000)) + "\"}";
            case 5 -> {
                char control = (char) r.nextInt(0x20);
                yield "{\"type\":\"send\",\"room\":\"r\",\"text\":\"a" + control + "b\"" + (r.nextBoolean() ? "," + control : "") + "}";
            }
            case 6 -> wrongTypes(r);
            case 7 -> switch (r.nextInt(3)) { // well-formed requests that must still fail
                case 0 -> "{\"type\":\"leave\",\"room\":\"never-joined\",\"id\":\"l\"}";
                case 1 -> "{\"type\":\"send\",\"room\":\"never-joined\",\"text\":\"hi\"}";
                default -> "{\"type\":\"refresh\",\"token\":\"" + randomPrintable(r, 1 + r.nextInt(40)).replaceAll("[\"\\\\]", "x") + "\"}";
            };
            case 8 -> List.of("[]", "[{\"type\":\"join\",\"room\":\"r\"}]", "42", "-0.0e-7", "\"join\"", "true", "null", "", " ")
                    .get(r.nextInt(9));
            case 9 -> "{\"type\":\"join\",\"room\":\"r\"}" + List.of("{}", " x", ",", "]", "\n{\"type\":\"join\",\"room\":\"s\"}").get(r.nextInt(5));
            case 10 -> randomUnicode(r, r.nextInt(300));
            default -> "{\"type\":\"" + List.of("Join", "SEND", "leave ", "ping", "refreshed", "message", "welcome").get(r.nextInt(7))
                    + "\",\"room\":\"r\",\"text\":\"t\"}";
        };
    }

    private static String wrongTypes(Random r) {
        List<String> values = List.of("1", "-1.5", "true", "false", "null", "[]", "{}", "[\"r\"]", "{\"room\":\"r\"}", "\"\"");
        String v = values.get(r.nextInt(values.size()));
        return switch (r.nextInt(5)) {
            case 0 -> "{\"type\":\"join\",\"room\":" + v + "}";
            case 1 -> "{\"type\":\"send\",\"room\":\"r\",\"text\":" + v + "}";
            case 2 -> "{\"type\":" + v + ",\"room\":\"r\"}";
            case 3 -> "{\"type\":\"join\",\"room\":\"r\",\"id\":" + (v.equals("null") ? "7" : v.startsWith("\"") ? "\"" + "i".repeat(65) + "\"" : v) + "}";
            default -> "{\"type\":\"refresh\",\"token\":" + v + "}";
        };
    }

    private static String randomPrintable(Random r, int length) {
        StringBuilder s = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            s.append((char) (0x20 + r.nextInt(0x5F)));
        }
        return s.toString();
    }

    /** Code points from every plane, never a lone surrogate (that would not be valid UTF-8). */
    private static String randomUnicode(Random r, int length) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < length; i++) {
            int cp = r.nextInt(0x110000);
            if (cp >= 0xD800 && cp <= 0xDFFF) {
                cp = '{';
            }
            s.appendCodePoint(cp);
        }
        return s.toString();
    }

    // ---------------------------------------------------------------- raw fuzzer: what the JDK client cannot send

    private void rawFuzzer(TestServer server, String user, Random random) throws Exception {
        RawWsClient c = rawClient(server, user);
        try {
            for (int i = 0; i < RAW_FRAMES_EACH; i++) {
                int kind = random.nextInt(100);
                if (kind < 6) {
                    c.sendFrame(true, RawWsClient.TEXT, invalidUtf8(random));
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
                    c.sendText(hostileText(random));
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

    private static byte[] invalidUtf8(Random r) {
        byte[][] bad = {
            {(byte) 0xC3, 0x28}, {(byte) 0xFF}, {(byte) 0xFE}, {(byte) 0xC0, (byte) 0xAF},
            {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
            {(byte) 0xE2, (byte) 0x82}, {(byte) 0x80}};
        byte[] head = "{\"type\":\"send\",\"room\":\"r\",\"text\":\"".getBytes(StandardCharsets.UTF_8);
        byte[] mid = bad[r.nextInt(bad.length)];
        byte[] tail = "\"}".getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[head.length + mid.length + tail.length];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(mid, 0, out, head.length, mid.length);
        System.arraycopy(tail, 0, out, head.length + mid.length, tail.length);
        return out;
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
