package dev.chat.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A real webhook receiver (the JDK's HTTP server on a free port) that verifies every request's
 * {@code X-Chat-Signature} as the README tells receivers to, and fails on purpose as told: the next
 * requests answer a status, or hang past the sender's timeout. Only batches it answered 2xx count as
 * taken ({@link #taken}); a hanging request is answered 503 when it wakes, so it is never taken.
 */
public final class WebhookReceiver implements AutoCloseable {
    /** A secret of the required length; tests pass it as {@code CHAT_WEBHOOK_SECRET}. */
    public static final String SECRET = "webhook-secret-0123456789abcdef-xyz";
    /** The signature's clock may be this far from the receiver's (the README's advice to receivers). */
    public static final long TOLERANCE_SECONDS = 300;

    private final HttpServer http;
    /** What the next requests get: a status, or -N to hang N ms; empty: 200. */
    private final ConcurrentLinkedQueue<Integer> script = new ConcurrentLinkedQueue<>();
    private volatile int always;
    private final List<JsonObject> taken = new ArrayList<>();
    private final List<Integer> takenBatchSizes = new ArrayList<>();
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger badSignatures = new AtomicInteger();

    private WebhookReceiver(HttpServer http) {
        this.http = http;
    }

    public static WebhookReceiver start() throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        WebhookReceiver r = new WebhookReceiver(http);
        http.createContext("/hooks", r::handle);
        http.setExecutor(Executors.newFixedThreadPool(4));
        http.start();
        return r;
    }

    public String url() {
        return "http://127.0.0.1:" + http.getAddress().getPort() + "/hooks";
    }

    /** The next requests answer these statuses, in order; a negative one hangs that many ms instead. */
    public void fail(int... statuses) {
        for (int s : statuses) {
            script.add(s);
        }
    }

    /** Every request answers {@code status} (0: back to normal). */
    public void failAlways(int status) {
        always = status;
    }

    private void handle(HttpExchange x) throws IOException {
        byte[] body;
        try (InputStream in = x.getRequestBody()) {
            body = in.readAllBytes();
        }
        requests.incrementAndGet();
        if (!verified(x.getRequestHeaders().getFirst("X-Chat-Signature"), body)) {
            badSignatures.incrementAndGet();
            answer(x, 401);
            return;
        }
        Integer next = always != 0 ? Integer.valueOf(always) : script.poll();
        int status = next == null ? 200 : next;
        if (status < 0) {
            try {
                Thread.sleep(-status);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            status = 503; // the sender gave up long ago: this batch was not taken
        }
        if (status / 100 == 2) {
            JsonObject batch = Json.createReader(new StringReader(new String(body, StandardCharsets.UTF_8))).readObject();
            synchronized (this) {
                takenBatchSizes.add(batch.getJsonArray("events").size());
                for (JsonValue e : batch.getJsonArray("events")) {
                    taken.add(e.asJsonObject());
                }
                notifyAll();
            }
        }
        answer(x, status);
    }

    private static void answer(HttpExchange x, int status) throws IOException {
        x.sendResponseHeaders(status, -1);
        x.close();
    }

    /** The README's recipe: HMAC-SHA256 of "t.body", hex, compared in constant time; an old t is refused. */
    static boolean verified(String header, byte[] body) {
        if (header == null) {
            return false;
        }
        String t = null;
        String v1 = null;
        for (String part : header.split(",")) {
            if (part.startsWith("t=")) {
                t = part.substring(2);
            } else if (part.startsWith("v1=")) {
                v1 = part.substring(3);
            }
        }
        if (t == null || v1 == null || Math.abs(System.currentTimeMillis() / 1000 - Long.parseLong(t)) > TOLERANCE_SECONDS) {
            return false;
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update((t + ".").getBytes(StandardCharsets.UTF_8));
            byte[] expected = mac.doFinal(body);
            return MessageDigest.isEqual(java.util.HexFormat.of().formatHex(expected).getBytes(StandardCharsets.US_ASCII),
                    v1.getBytes(StandardCharsets.US_ASCII));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The events of every batch taken so far, in the order they arrived. */
    public synchronized List<JsonObject> taken() {
        return List.copyOf(taken);
    }

    public synchronized List<Integer> takenBatchSizes() {
        return List.copyOf(takenBatchSizes);
    }

    public int requests() {
        return requests.get();
    }

    public int badSignatures() {
        return badSignatures.get();
    }

    /** Waits until an event taken matches {@code wanted}; it, or a failure naming what was taken. */
    public synchronized JsonObject await(Predicate<JsonObject> wanted, Duration within, String what) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            for (JsonObject e : taken) {
                if (wanted.test(e)) {
                    return e;
                }
            }
            long left = deadline - System.nanoTime();
            assertTrue(left > 0, () -> "no webhook event " + what + " within " + within + "; taken: " + taken);
            wait(Math.max(1, left / 1_000_000));
        }
    }

    /** Whether an event of {@code type} with {@code field} = {@code value} was taken. */
    public static Predicate<JsonObject> is(String type, String field, String value) {
        return e -> type.equals(e.getString("type")) && e.containsKey(field) && e.get(field).getValueType() == JsonValue.ValueType.STRING
                && value.equals(e.getString(field));
    }

    @Override
    public void close() {
        http.stop(0);
        ((java.util.concurrent.ExecutorService) http.getExecutor()).shutdownNow();
    }
}
