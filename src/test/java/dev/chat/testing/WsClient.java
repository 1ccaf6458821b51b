package dev.chat.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A real WebSocket client (the JDK's) for tests: splits every server frame on {@code \n} as
 * protocol v1 requires, and queues each JSON object as a map.
 */
public final class WsClient implements WebSocket.Listener, AutoCloseable {
    public static final Duration WAIT = Duration.ofSeconds(10);
    private static final Jsonb JSONB = JsonbBuilder.create();

    private final BlockingQueue<Map<String, Object>> frames = new LinkedBlockingQueue<>();
    private final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final StringBuilder partial = new StringBuilder();
    private volatile String closeReason;
    private WebSocket socket;
    private int requestCounter;

    private WsClient() {
    }

    /** Connects; the future fails when the upgrade is refused. */
    public static WsClient connect(URI uri, Map<String, String> headers) throws Exception {
        return connect(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build(), uri, headers);
    }

    /** Connects through {@code http}: a {@code wss://} URI needs a client whose SSLContext trusts the server. */
    public static WsClient connect(HttpClient http, URI uri, Map<String, String> headers) throws Exception {
        WsClient client = new WsClient();
        WebSocket.Builder builder = http.newWebSocketBuilder().connectTimeout(WAIT);
        headers.forEach(builder::header);
        try {
            client.socket = builder.buildAsync(uri, client).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof WebSocketHandshakeException refused) {
                // the JDK's message says nothing; a failure must show what the server answered
                Object body = refused.getResponse().body();
                throw new ExecutionException("upgrade refused with HTTP " + refused.getResponse().statusCode()
                        + (body == null ? "" : ": " + body), refused);
            }
            throw e;
        }
        return client;
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
            for (String line : partial.toString().split("\n")) {
                if (!line.isEmpty()) {
                    frames.add(parse(line));
                }
            }
            partial.setLength(0);
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        frames.add(Map.of("type", "unexpected-binary"));
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closeReason = reason;
        closed.complete(statusCode);
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        closed.completeExceptionally(error);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> parse(String json) {
        return JSONB.fromJson(json, Map.class);
    }

    public void sendRaw(String text) {
        socket.sendText(text, true).join();
    }

    public void sendBinary(byte[] data) {
        socket.sendBinary(ByteBuffer.wrap(data), true).join();
    }

    public void send(Map<String, ?> frame) {
        sendRaw(JSONB.toJson(frame));
    }

    public String nextId() {
        return "r" + (++requestCounter);
    }

    /** The next object from the server; fails the test after {@link #WAIT}. */
    public Map<String, Object> next() throws InterruptedException {
        Map<String, Object> frame = frames.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        if (frame == null) {
            fail("no frame from the server within " + WAIT + (closed.isDone() ? " (closed: " + closed.getNow(null) + ")" : ""));
        }
        return frame;
    }

    /** The next object, which must have this type. */
    public Map<String, Object> expect(String type) throws InterruptedException {
        Map<String, Object> frame = next();
        assertEquals(type, frame.get("type"), () -> "unexpected frame " + frame);
        return frame;
    }

    /** Reads the welcome frame and returns the user it names. */
    public String welcome() throws InterruptedException {
        return (String) expect("welcome").get("user");
    }

    /** Joins and returns the {@code joined} reply; history replayed before it is skipped (see {@link #lastReplay}). */
    public Map<String, Object> join(String room) throws InterruptedException {
        String id = nextId();
        send(Map.of("type", "join", "room", room, "id", id));
        lastReplay.clear();
        Map<String, Object> frame;
        while (Boolean.TRUE.equals((frame = next()).get("replay"))) {
            lastReplay.add(frame);
        }
        Map<String, Object> joined = frame;
        assertEquals("joined", joined.get("type"), () -> "unexpected frame " + joined);
        assertEquals(id, joined.get("id"));
        return joined;
    }

    /**
     * The next object, which must tell that this user's membership of {@code room} changed on
     * another device ({@code joined} or {@code left}); returns it.
     */
    public Map<String, Object> expectMembership(String room, String state) throws InterruptedException {
        Map<String, Object> frame = expect("membership");
        assertEquals(room, frame.get("room"), frame::toString);
        assertEquals(state, frame.get("state"), frame::toString);
        return frame;
    }

    /** The history replayed by the last {@link #join}. */
    public List<Map<String, Object>> lastReplay() {
        return lastReplay;
    }

    private final List<Map<String, Object>> lastReplay = new ArrayList<>();

    /** Sends a message and returns its ack's seq. */
    public long say(String room, String text) throws InterruptedException {
        String id = nextId();
        send(Map.of("type", "send", "room", room, "text", text, "id", id));
        Map<String, Object> ack = expect("ack");
        assertEquals(id, ack.get("id"));
        return ((Number) ack.get("seq")).longValue();
    }

    /**
     * Proves that nothing else is queued for this client: a join of an already-joined room is
     * answered in order, so if the next frame is that answer, nothing came before it.
     */
    public void assertNothingPending(String joinedRoom) throws InterruptedException {
        String id = "sync-" + nextId();
        send(Map.of("type", "join", "room", joinedRoom, "id", id));
        Map<String, Object> frame = next();
        assertEquals("joined", frame.get("type"), () -> "expected nothing pending, got " + frame);
        assertEquals(id, frame.get("id"));
    }

    /**
     * Proves nothing is queued for a client in no room: an unknown request type is answered in
     * order, so if the next frame is that answer, nothing came before it.
     */
    public void assertNothingPendingOutside() throws InterruptedException {
        String id = "sync-" + nextId();
        send(Map.of("type", "sync-probe", "id", id));
        Map<String, Object> frame = next();
        assertEquals("error", frame.get("type"), () -> "expected nothing pending, got " + frame);
        assertEquals(id, frame.get("id"));
    }

    /** Waits for the server's close and returns its code. */
    public int awaitClose() throws Exception {
        return closed.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    public String closeReason() {
        return closeReason;
    }

    public boolean isClosed() {
        return closed.isDone();
    }

    /** Everything received so far, without waiting. */
    public List<Map<String, Object>> drain() {
        List<Map<String, Object>> out = new ArrayList<>();
        frames.drainTo(out);
        return out;
    }

    public Map<String, Object> poll(Duration wait) throws InterruptedException {
        return frames.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Closes from this side with {@code code} (1000, or 3000 to 4999) and waits for the server's answer. */
    public void closeWith(int code) throws Exception {
        socket.sendClose(code, "").get(2, TimeUnit.SECONDS);
        closed.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        try {
            if (!socket.isOutputClosed()) {
                socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(2, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            // the server may have closed first; abort below ends it either way
        } finally {
            socket.abort();
        }
    }

    public static void assertCode(int expected, WsClient client) throws Exception {
        assertNotNull(client);
        assertEquals(expected, client.awaitClose(), () -> "close reason: " + client.closeReason);
    }
}
