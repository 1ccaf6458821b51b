package dev.chat.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.protocol.CloseCode;
import dev.chat.protocol.ErrorCode;
import dev.chat.testing.HostileFrames;
import dev.chat.testing.JarNode;
import dev.chat.testing.RawWsClient;
import dev.chat.testing.SeededUsers;
import dev.chat.testing.SteadyChat;
import dev.chat.testing.TestServer;
import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * 100 000 hostile frames against the packaged jar (a separate process, as shipped) from 20
 * authenticated connections at full speed, while two healthy users chat. Every frame that is a
 * message must be answered with an {@code error} of a known code, or end its connection with a
 * documented close code, never with the socket simply dropped (1006); a fuzzer that is closed
 * reconnects and goes on. At the end the jar still answers health, its heap after a full GC is
 * bounded, and every message the steady sender got an ack for reached the receiver, in order.
 *
 * <p>Each fuzzer writes a window of frames in one write and then reads their answers, so the
 * server always has work queued (full speed) while no client lets its outbox overflow (a 4001
 * would be the harness's fault, not the server's). A frame that closes the connection ends its
 * window. Seeded per connection, so a failure can be replayed.
 */
@Tag("long")
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class FuzzLongIT {
    private static final long SEED = 20261202L;
    private static final int FUZZERS = 20;
    private static final int FRAMES = 100_000;
    /** Frames written before their answers are read: deep enough to keep the server busy, far under the outbox bound (1000). */
    private static final int WINDOW = 16;
    private static final int MAX_FRAME = 8 * 1024;
    /** Used heap after a full GC at the end, with {@code -Xmx256m}: see the assertion. */
    private static final long HEAP_BOUND = Long.getLong("fuzz.heapBoundMiB", 160) << 20;
    /** Growth over the run the live heap may show: see the assertion. */
    private static final long HEAP_GROWTH_BOUND = Long.getLong("fuzz.heapGrowthBoundMiB", 16) << 20;
    private static final Set<String> ERROR_CODES = Arrays.stream(ErrorCode.values()).map(ErrorCode::wire).collect(Collectors.toSet());
    /** The protocol's table plus the RFC 6455 codes a WebSocket runtime sends by itself. */
    private static final Set<Integer> DOCUMENTED_CLOSES = IntStream.concat(Arrays.stream(CloseCode.values()).mapToInt(CloseCode::code),
            IntStream.of(1000, 1002, 1003, 1007, 1008, 1009, 1011)).boxed().collect(Collectors.toSet());
    private static final Jsonb JSONB = JsonbBuilder.create();

    private final AtomicInteger framesSent = new AtomicInteger();
    private final AtomicInteger answers = new AtomicInteger();
    private final AtomicInteger reconnects = new AtomicInteger();
    /** Close code (or {@link RawWsClient#NO_CLOSE_FRAME}) to how often a fuzzer saw it. */
    private final Map<Integer, AtomicInteger> closes = new ConcurrentHashMap<>();
    /** Error code to how often it answered a hostile frame. */
    private final Map<String, AtomicInteger> errors = new ConcurrentHashMap<>();
    /** What a closing frame was, to the close it got: "invalid-utf8 -> 1007". */
    private final Map<String, AtomicInteger> closesByKind = new ConcurrentHashMap<>();
    private final List<String> problems = java.util.Collections.synchronizedList(new ArrayList<>());

    @Test
    void hundredThousandHostileFramesLeaveTheJarUpItsHeapBoundedAndTheChatWhole() throws Exception {
        List<String> users = new ArrayList<>(List.of("steady-a", "steady-b"));
        for (int i = 0; i < FUZZERS; i++) {
            users.add("fuzz-" + i);
        }
        SeededUsers seeded = SeededUsers.create(users.toArray(String[]::new));
        try (JarNode node = JarNode.start(Map.of(
                "CHAT_DATA_DIR", seeded.dataDir().toString(), "CHAT_JWT_SECRET", TestServer.SECRET,
                "CHAT_MAX_FRAME_BYTES", "8KiB",
                // the parser and the runtime are under test here, at full speed; the rate limiter is HeapFloodLongIT's
                "CHAT_RATE_PER_SEC", "1000000", "CHAT_RATE_BURST", "1000000"),
                List.of("-XX:+ExitOnOutOfMemoryError"))) {
            assertTrue(node.base() != null, node::log);
            try (SteadyChat chat = SteadyChat.start(node, SeededUsers.token("steady-a"), SeededUsers.token("steady-b"),
                    "steady", Duration.ofMillis(20))) {
                long heapBefore = node.heapUsedAfterGc();
                long started = System.nanoTime();
                ExecutorService pool = Executors.newFixedThreadPool(FUZZERS);
                try {
                    List<Future<?>> fuzzers = new ArrayList<>();
                    for (int i = 0; i < FUZZERS; i++) {
                        String user = "fuzz-" + i;
                        Random random = new Random(SEED + i);
                        fuzzers.add(pool.submit(() -> {
                            fuzz(node, user, random);
                            return null;
                        }));
                    }
                    for (Future<?> f : fuzzers) {
                        f.get(8, TimeUnit.MINUTES);
                    }
                } finally {
                    pool.shutdownNow();
                }
                double seconds = (System.nanoTime() - started) / 1e9;
                SteadyChat.Outcome chatted = chat.stop(Duration.ofSeconds(30));
                long heapAfter = node.heapUsedAfterGc();
                System.out.printf("FuzzLongIT: %d frames in %.1f s (%.0f frames/s), %d answers, %d reconnects%n"
                                + "  closes by code %s%n  closes by frame %s%n  errors %s%n"
                                + "  heap after GC: %.1f MiB before, %.1f MiB after%n  steady chat: %s%n",
                        framesSent.get(), seconds, framesSent.get() / seconds, answers.get(), reconnects.get(),
                        new TreeMap<>(closes), new TreeMap<>(closesByKind), new TreeMap<>(errors),
                        heapBefore / 1048576.0, heapAfter / 1048576.0, chatted);

                assertTrue(problems.isEmpty(), () -> problems.size() + " problems, first: " + problems.subList(0, Math.min(20, problems.size())));
                assertTrue(framesSent.get() >= FRAMES, "all frames sent: " + framesSent.get());
                for (Integer code : closes.keySet()) {
                    assertTrue(DOCUMENTED_CLOSES.contains(code), "undocumented close " + code + " (-1: dropped without a close frame), x"
                            + closes.get(code) + "; all: " + closes);
                }
                assertTrue(chatted.problems().isEmpty() && chatted.lost().isEmpty(), "steady chat: " + chatted);
                assertTrue(chatted.acked() >= 200, "the steady pair barely chatted: " + chatted);
                // -Xmx256m: the jar holds about 8 MiB live here, before and after. 160 MiB leaves the
                // outbox budget (a quarter of the heap, 64 MiB, which a full GC cannot free while
                // clients are behind) and 88 MiB besides, yet is well short of the heap: a server that
                // kept what it was sent would pass it long before an OutOfMemoryError.
                assertTrue(heapAfter < HEAP_BOUND, "used heap after GC " + (heapAfter >> 20) + " MiB");
                // Anything kept per frame would show: 16 MiB over 100 000 frames is 168 bytes a frame,
                // less than a map entry with its key and value.
                assertTrue(heapAfter - heapBefore < HEAP_GROWTH_BOUND,
                        "live heap grew from " + (heapBefore >> 20) + " to " + (heapAfter >> 20) + " MiB");
            }
            assertEquals(200, node.get("health/live").statusCode(), "the jar still answers");
            assertTrue(node.process().isAlive(), "the jar is still running");
            assertFalse(node.log().contains("OutOfMemoryError"), "an OutOfMemoryError in the jar's output");
        }
    }

    // ---------------------------------------------------------------- one fuzzer

    /** What one window is: its frames, how many of them are messages (each answered once), and its closing frame's kind. */
    private record Window(byte[] bytes, int frames, int messages, String closing) { }

    private void fuzz(JarNode node, String user, Random random) throws Exception {
        RawWsClient c = connect(node, user);
        try {
            while (framesSent.get() < FRAMES) {
                Window w = window(random);
                framesSent.addAndGet(w.frames());
                try {
                    c.sendEncoded(w.bytes());
                } catch (IOException e) {
                    // the server closed while we wrote (a close in flight): read how it ended below
                }
                if (!readAnswers(c, w)) {
                    c.close();
                    c = connect(node, user);
                    reconnects.incrementAndGet();
                }
            }
        } finally {
            c.close();
        }
    }

    private static RawWsClient connect(JarNode node, String user) throws Exception {
        RawWsClient c = RawWsClient.connect(node.ws(SeededUsers.token(user)), Map.of(), RawWsClient.Options.defaults());
        c.expect("welcome");
        return c;
    }

    /**
     * Reads the window's answers: one {@code error} per message, then for a closing window the
     * close. False when the connection has ended (the close is counted), true when it stays open.
     */
    private boolean readAnswers(RawWsClient c, Window w) throws IOException {
        int expected = w.messages();
        while (expected > 0 || w.closing() != null) {
            RawWsClient.Frame f;
            try {
                f = c.readFrame(Duration.ofSeconds(20));
            } catch (SocketTimeoutException e) {
                problems.add("no answer within 20 s (" + expected + " outstanding, closing " + w.closing() + ")");
                return false;
            }
            if (f == null || f.opcode() == RawWsClient.CLOSE) {
                int code = f == null ? RawWsClient.NO_CLOSE_FRAME : f.closeCode();
                closes.computeIfAbsent(code, k -> new AtomicInteger()).incrementAndGet();
                closesByKind.computeIfAbsent((w.closing() == null ? "unexpected" : w.closing()) + " -> " + code,
                        k -> new AtomicInteger()).incrementAndGet();
                return false;
            }
            if (f.opcode() != RawWsClient.TEXT) {
                problems.add("a binary frame from the server");
                continue;
            }
            for (String line : f.text().split("\n")) {
                if (line.isEmpty()) {
                    continue;
                }
                answers.incrementAndGet();
                expected--;
                Map<?, ?> reply = JSONB.fromJson(line, Map.class);
                if (!"error".equals(reply.get("type")) || !ERROR_CODES.contains(reply.get("code"))) {
                    problems.add("not an error of a known code: " + abbreviate(line));
                } else {
                    errors.computeIfAbsent((String) reply.get("code"), k -> new AtomicInteger()).incrementAndGet();
                }
            }
            if (expected < 0) {
                problems.add("more answers than messages in a window");
                expected = 0;
            }
        }
        return true;
    }

    /** Up to {@link #WINDOW} frames; a frame that must close the connection ends the window. */
    private static Window window(Random r) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int frames = 0;
        int messages = 0;
        for (int i = 0; i < WINDOW; i++) {
            int kind = r.nextInt(1000);
            if (kind < 30) {
                return closing(out, frames, messages, r);
            }
            if (kind < 80) {
                // a message in 2 to 4 fragments, a ping between two of them (control frames may interleave)
                byte[] text = HostileFrames.text(r).getBytes(StandardCharsets.UTF_8);
                int parts = 2 + r.nextInt(3);
                int at = 0;
                for (int p = 0; p < parts; p++) {
                    int end = p == parts - 1 ? text.length : Math.min(text.length, at + r.nextInt(text.length / parts + 1));
                    out.writeBytes(RawWsClient.frame(p == parts - 1, p == 0 ? RawWsClient.TEXT : RawWsClient.CONTINUATION,
                            Arrays.copyOfRange(text, at, end)));
                    at = end;
                    frames++;
                    if (p == 0) {
                        out.writeBytes(RawWsClient.frame(true, RawWsClient.PING, "mid".getBytes(StandardCharsets.UTF_8)));
                        frames++;
                    }
                }
                messages++;
                continue;
            }
            frames++;
            if (kind < 120) {
                byte[] payload = new byte[r.nextInt(126)];
                r.nextBytes(payload);
                out.writeBytes(RawWsClient.frame(true, RawWsClient.PING, payload)); // answered with a pong, not a line
                continue;
            }
            messages++;
            if (kind < 220) {
                byte[] data = new byte[r.nextInt(4_000)];
                r.nextBytes(data);
                out.writeBytes(RawWsClient.frame(true, RawWsClient.BINARY, data));
            } else if (kind < 300) {
                byte[] data = "{\"type\":\"send\",\"room\":\"r\",\"text\":\"a_b\"}".getBytes(StandardCharsets.UTF_8);
                data[data.length - 4] = (byte) r.nextInt(0x20); // a raw control character inside the string
                out.writeBytes(RawWsClient.frame(true, RawWsClient.TEXT, data));
            } else if (kind < 400) {
                out.writeBytes(RawWsClient.frame(true, RawWsClient.TEXT, wellFormedButWrong(r).getBytes(StandardCharsets.UTF_8)));
            } else {
                out.writeBytes(RawWsClient.frame(true, RawWsClient.TEXT, HostileFrames.text(r).getBytes(StandardCharsets.UTF_8)));
            }
        }
        return new Window(out.toByteArray(), frames, messages, null);
    }

    /** Requests that parse but cannot be carried out by a fuzzer that joined nothing: each is an {@code error}. */
    private static String wellFormedButWrong(Random r) {
        String id = switch (r.nextInt(4)) {
            case 0 -> "\"ok-id\"";
            case 1 -> "\"" + "i".repeat(65) + "\""; // over 64 characters
            case 2 -> Long.toString(r.nextLong()); // not a string
            default -> "[\"x\"]";
        };
        String room = "r" + r.nextInt(1_000);
        return switch (r.nextInt(9)) {
            case 0 -> "{\"type\":\"send\",\"room\":\"" + room + "\",\"text\":\"not joined\",\"id\":" + id + "}";
            case 1 -> "{\"type\":\"leave\",\"room\":\"" + room + "\",\"id\":" + id + "}";
            case 2 -> "{\"type\":\"history\",\"room\":\"" + room + "\",\"limit\":50,\"id\":" + id + "}";
            case 3 -> "{\"type\":\"typing\",\"room\":\"" + room + "\",\"id\":" + id + "}";
            case 4 -> "{\"type\":\"send\",\"to\":\"nobody-" + r.nextInt(1_000_000) + "\",\"text\":\"hi\",\"id\":" + id + "}";
            case 5 -> "{\"type\":\"invite\",\"room\":\"" + room + "\",\"user\":\"nobody-" + r.nextInt(1_000) + "\",\"id\":" + id + "}";
            case 6 -> "{\"type\":\"kick\",\"room\":\"" + room + "\",\"user\":\"steady-a\",\"id\":" + id + "}"; // not an admin
            case 7 -> "{\"type\":\"join\",\"room\":\"bad room!\",\"id\":" + id + "}";
            default -> "{\"type\":\"history\",\"room\":\"" + room + "\",\"before\":-" + r.nextInt(100) + ",\"limit\":" + r.nextInt() + ",\"id\":" + id + "}";
        };
    }

    /** Ends a window with a frame after which the server must close: the frames before it may or may not be answered. */
    private static Window closing(ByteArrayOutputStream out, int frames, int messages, Random r) {
        int kind = r.nextInt(100);
        String name;
        if (kind < 35) {
            name = "invalid-utf8";
            out.writeBytes(RawWsClient.frame(true, RawWsClient.TEXT, HostileFrames.invalidUtf8(r)));
        } else if (kind < 60) {
            name = "oversize";
            String text = "{\"type\":\"send\",\"room\":\"r\",\"text\":\"" + "x".repeat(MAX_FRAME + r.nextInt(8_000)) + "\"}";
            out.writeBytes(RawWsClient.frame(true, RawWsClient.TEXT, text.getBytes(StandardCharsets.UTF_8)));
        } else if (kind < 70) {
            name = "far-oversize"; // refused by the engine without buffering (README, close codes: 1011)
            out.writeBytes(RawWsClient.frame(true, r.nextBoolean() ? RawWsClient.TEXT : RawWsClient.BINARY, new byte[MAX_FRAME + 80_000]));
        } else if (kind < 78) {
            name = "continuation-without-start";
            out.writeBytes(RawWsClient.frame(true, RawWsClient.CONTINUATION, "{}".getBytes(StandardCharsets.UTF_8)));
        } else if (kind < 86) {
            name = "reserved-opcode";
            out.writeBytes(RawWsClient.frame(true, 0x3 + r.nextInt(5), "{}".getBytes(StandardCharsets.UTF_8)));
        } else if (kind < 93) {
            name = "rsv-bits";
            byte[] f = RawWsClient.frame(true, RawWsClient.TEXT, "{}".getBytes(StandardCharsets.UTF_8));
            f[0] |= (byte) (0x10 << r.nextInt(3)); // RSV1..3 without an extension that defines them
            out.writeBytes(f);
        } else {
            name = "fragmented-ping";
            out.writeBytes(RawWsClient.frame(false, RawWsClient.PING, "p".getBytes(StandardCharsets.UTF_8)));
        }
        return new Window(out.toByteArray(), frames + 1, messages, name);
    }

    private static String abbreviate(String s) {
        return s.length() <= 160 ? s : s.substring(0, 160) + "... (" + s.length() + " chars)";
    }
}
