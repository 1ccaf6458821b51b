package dev.chat.testing;

import static org.junit.jupiter.api.Assertions.fail;

import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A minimal RFC 6455 client on a plain {@link Socket}, for the clients the JDK's cannot play: one
 * that never answers pings, one that stops reading, one that sends frames the protocol forbids.
 *
 * <p>Nothing runs in the background: the socket is read only inside the {@code read*}, {@code next*}
 * and {@link #awaitClose} calls, so a test makes the client "stop reading" simply by not calling
 * them (with a small {@link Options#receiveBufferSize} the server's writes then stall quickly).
 * Pings met while reading are answered only when {@link Options#answerPings} is set. Not thread-safe.
 */
public final class RawWsClient implements AutoCloseable {
    public static final int CONTINUATION = 0x0;
    public static final int TEXT = 0x1;
    public static final int BINARY = 0x2;
    public static final int CLOSE = 0x8;
    public static final int PING = 0x9;
    public static final int PONG = 0xA;
    /** Close "code" reported by {@link #awaitClose} when the stream ended without a close frame. */
    public static final int NO_CLOSE_FRAME = -1;

    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private static final Jsonb JSONB = JsonbBuilder.create();
    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * @param receiveBufferSize SO_RCVBUF set before connecting (so it bounds the TCP window); 0 keeps the default
     * @param answerPings       whether pings met while reading are answered with a pong
     */
    public record Options(int receiveBufferSize, boolean answerPings) {
        public static Options defaults() {
            return new Options(0, true);
        }

        public Options withReceiveBufferSize(int bytes) {
            return new Options(bytes, answerPings);
        }

        public Options withoutPongs() {
            return new Options(receiveBufferSize, false);
        }
    }

    /** One frame from the server (reassembled if it came in fragments). */
    public record Frame(int opcode, byte[] payload) {
        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        /** The status code of a close frame; 1005 (no status) when it carries none. */
        public int closeCode() {
            return payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : 1005;
        }

        public String closeReason() {
            return payload.length > 2 ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8) : "";
        }
    }

    /** How the connection ended, seen from this client. */
    public record Closed(int code, String reason) {
        public boolean hadCloseFrame() {
            return code != NO_CLOSE_FRAME;
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final Options options;
    private final ArrayDeque<Map<String, Object>> lines = new ArrayDeque<>();
    private Closed closed;
    private int pingsReceived;
    private int requestCounter;

    private RawWsClient(Socket socket, Options options) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
        this.options = options;
    }

    /** Opens the socket and does the upgrade; fails unless the answer is 101 with the right accept key. */
    public static RawWsClient connect(URI ws, Map<String, String> headers, Options options) throws IOException {
        return connect(ws, headers, options, new byte[0]);
    }

    /**
     * As {@link #connect(URI, Map, Options)}, with {@code early} bytes (frames, say) written right
     * behind the upgrade request in the same write, before the server's answer: what RFC 6455 §4.1
     * tells clients not to do, so the server's first read may hold the request and frames together.
     */
    public static RawWsClient connect(URI ws, Map<String, String> headers, Options options, byte[] early)
            throws IOException {
        Socket socket = new Socket();
        if (options.receiveBufferSize() > 0) {
            socket.setReceiveBufferSize(options.receiveBufferSize()); // before connect: it sizes the window
        }
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress(ws.getHost(), ws.getPort()), 10_000);
        RawWsClient client = new RawWsClient(socket, options);
        try {
            client.handshake(ws, headers, early);
        } catch (IOException | RuntimeException | Error e) {
            socket.close();
            throw e;
        }
        return client;
    }

    private void handshake(URI ws, Map<String, String> headers, byte[] early) throws IOException {
        byte[] nonce = new byte[16];
        RANDOM.nextBytes(nonce);
        String key = Base64.getEncoder().encodeToString(nonce);
        String target = ws.getRawPath() + (ws.getRawQuery() == null ? "" : "?" + ws.getRawQuery());
        StringBuilder request = new StringBuilder()
                .append("GET ").append(target).append(" HTTP/1.1\r\n")
                .append("Host: ").append(ws.getHost()).append(':').append(ws.getPort()).append("\r\n")
                .append("Upgrade: websocket\r\n")
                .append("Connection: Upgrade\r\n")
                .append("Sec-WebSocket-Key: ").append(key).append("\r\n")
                .append("Sec-WebSocket-Version: 13\r\n");
        headers.forEach((name, value) -> request.append(name).append(": ").append(value).append("\r\n"));
        request.append("\r\n");
        ByteArrayOutputStream write = new ByteArrayOutputStream();
        write.writeBytes(request.toString().getBytes(StandardCharsets.ISO_8859_1));
        write.writeBytes(early);
        out.write(write.toByteArray());
        out.flush();

        socket.setSoTimeout(10_000);
        String status = readHeaderLine();
        Map<String, String> response = new LinkedHashMap<>();
        for (String line = readHeaderLine(); !line.isEmpty(); line = readHeaderLine()) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                response.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
            }
        }
        if (!status.startsWith("HTTP/1.1 101")) {
            throw new IOException("upgrade refused: " + status + " " + response);
        }
        String expected = accept(key);
        if (!expected.equals(response.get("sec-websocket-accept"))) {
            throw new IOException("bad Sec-WebSocket-Accept: " + response.get("sec-websocket-accept") + ", expected " + expected);
        }
    }

    static String accept(String key) {
        try {
            byte[] sha1 = MessageDigest.getInstance("SHA-1").digest((key + GUID).getBytes(StandardCharsets.ISO_8859_1));
            return Base64.getEncoder().encodeToString(sha1);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads one CRLF-terminated header line byte by byte, so no frame byte is consumed. */
    private String readHeaderLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != '\n') {
            if (b < 0) {
                throw new EOFException("connection closed during the handshake");
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }

    // ---------------------------------------------------------------- sending

    /** Encodes one masked client frame. */
    public static byte[] frame(boolean fin, int opcode, byte[] payload) {
        ByteArrayOutputStream f = new ByteArrayOutputStream(payload.length + 14);
        f.write((fin ? 0x80 : 0) | (opcode & 0x0F));
        if (payload.length < 126) {
            f.write(0x80 | payload.length);
        } else if (payload.length <= 0xFFFF) {
            f.write(0x80 | 126);
            f.write(payload.length >>> 8);
            f.write(payload.length);
        } else {
            f.write(0x80 | 127);
            long n = payload.length;
            for (int shift = 56; shift >= 0; shift -= 8) {
                f.write((int) (n >>> shift));
            }
        }
        byte[] mask = new byte[4];
        RANDOM.nextBytes(mask);
        f.writeBytes(mask);
        for (int i = 0; i < payload.length; i++) {
            f.write(payload[i] ^ mask[i & 3]);
        }
        return f.toByteArray();
    }

    /**
     * Encodes one client frame without a mask (mask bit 0, no masking key): what RFC 6455 §5.1 says
     * a client must never send and a server must close the connection on.
     */
    public static byte[] unmaskedFrame(boolean fin, int opcode, byte[] payload) {
        if (payload.length > 0xFFFF) {
            throw new IllegalArgumentException("unmasked test frames are kept under 64 KiB");
        }
        ByteArrayOutputStream f = new ByteArrayOutputStream(payload.length + 4);
        f.write((fin ? 0x80 : 0) | (opcode & 0x0F));
        if (payload.length < 126) {
            f.write(payload.length);
        } else {
            f.write(126);
            f.write(payload.length >>> 8);
            f.write(payload.length);
        }
        f.writeBytes(payload);
        return f.toByteArray();
    }

    /** Writes these bytes as they are (frames, parts of frames, anything), in one write. */
    public void sendBytes(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** Sends one frame with any opcode, payload and FIN bit. */
    public void sendFrame(boolean fin, int opcode, byte[] payload) throws IOException {
        out.write(frame(fin, opcode, payload));
        out.flush();
    }

    public void sendText(String text) throws IOException {
        sendFrame(true, TEXT, text.getBytes(StandardCharsets.UTF_8));
    }

    public void send(Map<String, ?> json) throws IOException {
        sendText(JSONB.toJson(json));
    }

    /** Sends several text frames in one write, so the server receives them back to back. */
    public void sendTexts(List<String> texts) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (String text : texts) {
            all.writeBytes(frame(true, TEXT, text.getBytes(StandardCharsets.UTF_8)));
        }
        out.write(all.toByteArray());
        out.flush();
    }

    public String nextId() {
        return "r" + (++requestCounter);
    }

    // ---------------------------------------------------------------- receiving

    /**
     * The next data or close frame within {@code timeout}; pings met on the way are counted (and
     * answered if so configured), pongs skipped. Null at end of stream (also after a reset).
     */
    public Frame readFrame(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        ByteArrayOutputStream fragments = null;
        int messageOpcode = -1;
        while (true) {
            long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
            socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
            int b0;
            try {
                b0 = in.read();
            } catch (SocketTimeoutException e) {
                throw e;
            } catch (IOException e) {
                return null; // reset by the server: as good as an end of stream here
            }
            if (b0 < 0) {
                return null;
            }
            // a frame that has begun arrives whole soon; do not let a short timeout split it
            socket.setSoTimeout(10_000);
            boolean fin = (b0 & 0x80) != 0;
            int opcode = b0 & 0x0F;
            int b1 = readByte();
            if ((b1 & 0x80) != 0) {
                throw new IOException("server frames must not be masked");
            }
            long length = b1 & 0x7F;
            if (length == 126) {
                length = ((long) readByte() << 8) | readByte();
            } else if (length == 127) {
                length = 0;
                for (int i = 0; i < 8; i++) {
                    length = (length << 8) | readByte();
                }
            }
            if (length > Integer.MAX_VALUE - 16) {
                throw new IOException("frame too large: " + length);
            }
            byte[] payload = in.readNBytes((int) length);
            if (payload.length != length) {
                return null;
            }
            switch (opcode) {
                case PING -> {
                    pingsReceived++;
                    if (options.answerPings()) {
                        sendFrame(true, PONG, payload);
                    }
                }
                case PONG -> { }
                case CLOSE -> {
                    return new Frame(CLOSE, payload);
                }
                case TEXT, BINARY -> {
                    if (fin) {
                        return new Frame(opcode, payload);
                    }
                    fragments = new ByteArrayOutputStream();
                    fragments.writeBytes(payload);
                    messageOpcode = opcode;
                }
                case CONTINUATION -> {
                    if (fragments == null) {
                        throw new IOException("continuation without a first fragment");
                    }
                    fragments.writeBytes(payload);
                    if (fin) {
                        return new Frame(messageOpcode, fragments.toByteArray());
                    }
                }
                default -> throw new IOException("unknown opcode " + opcode);
            }
        }
    }

    private int readByte() throws IOException {
        int b = in.read();
        if (b < 0) {
            throw new EOFException("end of stream inside a frame");
        }
        return b;
    }

    /**
     * The next JSON object from the server (a text frame may carry several, one a line); fails the
     * test if none comes within {@code timeout} or the connection ends first.
     */
    public Map<String, Object> nextJson(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (lines.isEmpty()) {
            if (closed != null) {
                fail("connection ended (" + closed + ") while a frame was expected");
            }
            Frame frame;
            try {
                frame = readFrame(Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime())));
            } catch (SocketTimeoutException e) {
                fail("no frame from the server within " + timeout);
                return null;
            }
            if (frame == null) {
                closed = new Closed(NO_CLOSE_FRAME, "end of stream");
            } else if (frame.opcode() == CLOSE) {
                closed = new Closed(frame.closeCode(), frame.closeReason());
            } else if (frame.opcode() == TEXT) {
                queueLines(frame.text());
            } else {
                lines.add(Map.of("type", "unexpected-binary"));
            }
        }
        return lines.poll();
    }

    public Map<String, Object> nextJson() throws IOException {
        return nextJson(WsClient.WAIT);
    }

    /** The next object, which must have this type. */
    public Map<String, Object> expect(String type) throws IOException {
        Map<String, Object> frame = nextJson();
        if (!type.equals(frame.get("type"))) {
            fail("expected a " + type + " frame, got " + frame);
        }
        return frame;
    }

    @SuppressWarnings("unchecked")
    private void queueLines(String text) {
        for (String line : text.split("\n")) {
            if (!line.isEmpty()) {
                lines.add(JSONB.fromJson(line, Map.class));
            }
        }
    }

    /**
     * Reads (queuing any objects still in flight, see {@link #drainJson}) until the server's close
     * frame or the end of the stream; fails the test after {@code timeout}.
     */
    public Closed awaitClose(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (closed == null) {
            Frame frame;
            try {
                frame = readFrame(Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime())));
            } catch (SocketTimeoutException e) {
                fail("the server did not close within " + timeout + " (" + pingsReceived + " pings seen)");
                return null;
            }
            if (frame == null) {
                closed = new Closed(NO_CLOSE_FRAME, "end of stream");
            } else if (frame.opcode() == CLOSE) {
                closed = new Closed(frame.closeCode(), frame.closeReason());
            } else if (frame.opcode() == TEXT) {
                queueLines(frame.text());
            }
        }
        return closed;
    }

    public Closed awaitClose() throws IOException {
        return awaitClose(WsClient.WAIT);
    }

    /** The objects read but not yet taken, without reading more. */
    public List<Map<String, Object>> drainJson() {
        List<Map<String, Object>> out = List.copyOf(lines);
        lines.clear();
        return out;
    }

    public int pingsReceived() {
        return pingsReceived;
    }

    /** How the connection ended, once a read has seen it end; null before. */
    public Closed closedOrNull() {
        return closed;
    }

    /** Answers the server's close (if any) and drops the socket. */
    @Override
    public void close() {
        try {
            if (!socket.isClosed() && !socket.isOutputShutdown()) {
                out.write(frame(true, CLOSE, new byte[] {(byte) 0x03, (byte) 0xE8}));
                out.flush();
            }
        } catch (IOException e) {
            // the server may be gone already
        } finally {
            try {
                socket.close();
            } catch (IOException e) {
                // nothing left to do
            }
        }
    }
}
