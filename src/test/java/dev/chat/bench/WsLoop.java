package dev.chat.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;

/**
 * A minimal WebSocket client for many connections on one thread: one selector, non-blocking
 * sockets, one shared read buffer (a connection keeps only the unparsed tail of its input), client
 * frames masked with a zero key (valid per RFC 6455; it saves the XOR). It answers pings and
 * hands every text line (frames split on {@code \n}) to a {@link Handler}. Not thread-safe: all
 * calls come from the thread that runs {@link #poll}.
 */
final class WsLoop implements AutoCloseable {
    static final int TEXT = 1, CLOSE = 8, PING = 9, PONG = 10;
    private static final int CONNECTING = 0, UPGRADING = 1, OPEN = 2, CLOSED = 3;

    /** Told about each connection's life and each text line it receives. */
    interface Handler {
        void opened(Conn c);

        void line(Conn c, byte[] b, int from, int to, long nowNanos);

        void closed(Conn c, String why);
    }

    /** One client connection. */
    static final class Conn {
        final int index;
        final SocketChannel channel;
        SelectionKey key;
        int state = CONNECTING;
        byte[] tail = new byte[0];
        int tailLength;
        byte[] fragments;
        int fragmentsLength;
        final ArrayDeque<ByteBuffer> out = new ArrayDeque<>();
        /** Free for the handler: member, publisher and per-publisher last seq seen. */
        boolean member;
        long[] lastSeq;

        Conn(int index, SocketChannel channel) {
            this.index = index;
            this.channel = channel;
        }

        boolean isOpen() {
            return state == OPEN;
        }
    }

    private final Selector selector;
    private final InetSocketAddress[] targets;
    private final Dialect dialect;
    private final Handler handler;
    private final ByteBuffer in = ByteBuffer.allocate(1 << 20);

    WsLoop(InetSocketAddress[] targets, Dialect dialect, Handler handler) throws IOException {
        this.selector = Selector.open();
        this.targets = targets;
        this.dialect = dialect;
        this.handler = handler;
    }

    /** Starts connection {@code index} to target {@code index % targets}; the upgrade follows by itself. */
    Conn connect(int index) throws IOException {
        SocketChannel ch = SocketChannel.open();
        ch.configureBlocking(false);
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        Conn c = new Conn(index, ch);
        c.key = ch.register(selector, SelectionKey.OP_CONNECT, c);
        if (ch.connect(targets[index % targets.length])) {
            upgrade(c);
        }
        return c;
    }

    private void upgrade(Conn c) throws IOException {
        InetSocketAddress t = targets[c.index % targets.length];
        String request = "GET " + dialect.path(c.index) + " HTTP/1.1\r\nHost: 127.0.0.1:" + t.getPort()
                + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n";
        c.state = UPGRADING;
        c.key.interestOps(SelectionKey.OP_READ);
        write(c, ByteBuffer.wrap(request.getBytes(StandardCharsets.ISO_8859_1)));
    }

    /** Sends one text frame. */
    void sendText(Conn c, byte[] payload) {
        if (c.state != OPEN) {
            return;
        }
        write(c, ByteBuffer.wrap(frame(TEXT, payload, payload.length)));
    }

    static byte[] frame(int opcode, byte[] payload, int length) {
        int header = length < 126 ? 6 : length <= 0xFFFF ? 8 : 14;
        byte[] f = new byte[header + length];
        f[0] = (byte) (0x80 | opcode);
        if (length < 126) {
            f[1] = (byte) (0x80 | length);
        } else if (length <= 0xFFFF) {
            f[1] = (byte) (0x80 | 126);
            f[2] = (byte) (length >>> 8);
            f[3] = (byte) length;
        } else {
            f[1] = (byte) (0x80 | 127);
            for (int i = 0; i < 8; i++) {
                f[2 + i] = (byte) ((long) length >>> (56 - 8 * i));
            }
        }
        // mask key: four zero bytes, already there
        System.arraycopy(payload, 0, f, header, length);
        return f;
    }

    private void write(Conn c, ByteBuffer buf) {
        try {
            if (c.out.isEmpty()) {
                c.channel.write(buf);
                if (!buf.hasRemaining()) {
                    return;
                }
                c.key.interestOps(c.key.interestOps() | SelectionKey.OP_WRITE);
            }
            c.out.add(buf);
        } catch (IOException e) {
            fail(c, "write: " + e.getMessage());
        }
    }

    /** Runs the selector once, waiting at most {@code timeoutMillis} (0: not at all). */
    void poll(long timeoutMillis) throws IOException {
        if (timeoutMillis <= 0) {
            selector.selectNow();
        } else {
            selector.select(timeoutMillis);
        }
        Iterator<SelectionKey> it = selector.selectedKeys().iterator();
        while (it.hasNext()) {
            SelectionKey k = it.next();
            it.remove();
            Conn c = (Conn) k.attachment();
            if (!k.isValid()) {
                continue;
            }
            try {
                if (k.isConnectable()) {
                    c.channel.finishConnect();
                    upgrade(c);
                    continue;
                }
                if (k.isWritable()) {
                    flush(c);
                }
                if (k.isValid() && k.isReadable()) {
                    read(c);
                }
            } catch (IOException e) {
                fail(c, e.getMessage());
            }
        }
    }

    private void flush(Conn c) throws IOException {
        ByteBuffer b;
        while ((b = c.out.peek()) != null) {
            c.channel.write(b);
            if (b.hasRemaining()) {
                return;
            }
            c.out.poll();
        }
        c.key.interestOps(SelectionKey.OP_READ);
    }

    private void read(Conn c) throws IOException {
        in.clear();
        in.put(c.tail, 0, c.tailLength);
        c.tailLength = 0;
        int n = c.channel.read(in);
        if (n < 0) {
            fail(c, "end of stream");
            return;
        }
        long now = System.nanoTime();
        byte[] b = in.array();
        int end = in.position();
        int pos = 0;
        if (c.state == UPGRADING) {
            int headerEnd = headerEnd(b, end);
            if (headerEnd < 0) {
                keep(c, b, 0, end);
                return;
            }
            String status = new String(b, 0, Math.min(12, headerEnd), StandardCharsets.ISO_8859_1);
            if (!status.startsWith("HTTP/1.1 101")) {
                fail(c, "upgrade refused: " + new String(b, 0, headerEnd, StandardCharsets.ISO_8859_1).lines().findFirst().orElse(""));
                return;
            }
            c.state = OPEN;
            handler.opened(c);
            pos = headerEnd;
        }
        while (c.state == OPEN && end - pos >= 2) {
            int b0 = b[pos] & 0xFF;
            int b1 = b[pos + 1] & 0x7F;
            int header = 2;
            long length = b1;
            if (b1 == 126) {
                if (end - pos < 4) {
                    break;
                }
                length = ((b[pos + 2] & 0xFF) << 8) | (b[pos + 3] & 0xFF);
                header = 4;
            } else if (b1 == 127) {
                if (end - pos < 10) {
                    break;
                }
                length = 0;
                for (int i = 0; i < 8; i++) {
                    length = (length << 8) | (b[pos + 2 + i] & 0xFF);
                }
                header = 10;
            }
            if (header + length > in.capacity()) {
                fail(c, "frame of " + length + " bytes is larger than the read buffer");
                return;
            }
            if (end - pos < header + length) {
                break;
            }
            frame(c, b0, b, pos + header, pos + header + (int) length, now);
            pos += header + (int) length;
        }
        if (c.state == OPEN) {
            keep(c, b, pos, end);
        }
    }

    private void frame(Conn c, int b0, byte[] b, int from, int to, long now) {
        boolean fin = (b0 & 0x80) != 0;
        int opcode = b0 & 0x0F;
        switch (opcode) {
            case TEXT, 0 -> {
                if (fin && c.fragments == null) {
                    lines(c, b, from, to, now);
                    return;
                }
                if (c.fragments == null) {
                    c.fragments = new byte[Math.max(256, to - from)];
                    c.fragmentsLength = 0;
                }
                if (c.fragmentsLength + to - from > c.fragments.length) {
                    c.fragments = Arrays.copyOf(c.fragments, 2 * (c.fragmentsLength + to - from));
                }
                System.arraycopy(b, from, c.fragments, c.fragmentsLength, to - from);
                c.fragmentsLength += to - from;
                if (fin) {
                    byte[] whole = c.fragments;
                    c.fragments = null;
                    lines(c, whole, 0, c.fragmentsLength, now);
                }
            }
            case PING -> write(c, ByteBuffer.wrap(frame(PONG, Arrays.copyOfRange(b, from, to), to - from)));
            case CLOSE -> {
                int code = to - from >= 2 ? ((b[from] & 0xFF) << 8) | (b[from + 1] & 0xFF) : 1005;
                fail(c, "closed by the server with " + code);
            }
            default -> { }
        }
    }

    private void lines(Conn c, byte[] b, int from, int to, long now) {
        int start = from;
        for (int i = from; i < to; i++) {
            if (b[i] == '\n') {
                if (i > start) {
                    handler.line(c, b, start, i, now);
                }
                start = i + 1;
            }
        }
        if (to > start) {
            handler.line(c, b, start, to, now);
        }
    }

    private static int headerEnd(byte[] b, int end) {
        for (int i = 3; i < end; i++) {
            if (b[i] == '\n' && b[i - 1] == '\r' && b[i - 2] == '\n' && b[i - 3] == '\r') {
                return i + 1;
            }
        }
        return -1;
    }

    private static void keep(Conn c, byte[] b, int from, int to) {
        int n = to - from;
        if (n > c.tail.length) {
            c.tail = new byte[Math.max(n, 2 * c.tail.length)];
        }
        System.arraycopy(b, from, c.tail, 0, n);
        c.tailLength = n;
    }

    /** What {@link Handler#closed} is told of a connection {@link #drop} closed. */
    static final String DROPPED = "dropped";

    /** Closes the socket without a close frame, as a lost network would; the handler hears {@link #DROPPED}. */
    void drop(Conn c) {
        fail(c, DROPPED);
    }

    private void fail(Conn c, String why) {
        if (c.state == CLOSED) {
            return;
        }
        c.state = CLOSED;
        c.key.cancel();
        try {
            c.channel.close();
        } catch (IOException e) {
            // closing anyway
        }
        handler.closed(c, why);
    }

    /** Closes every connection (with a close frame) and the selector. */
    @Override
    public void close() {
        byte[] normal = {0x03, (byte) 0xE8};
        for (SelectionKey k : selector.keys()) {
            Conn c = (Conn) k.attachment();
            if (c.state == OPEN) {
                try {
                    c.channel.write(ByteBuffer.wrap(frame(CLOSE, normal, 2)));
                } catch (IOException e) {
                    // going anyway
                }
            }
            try {
                c.channel.close();
            } catch (IOException e) {
                // going anyway
            }
            c.state = CLOSED;
        }
        try {
            selector.close();
        } catch (IOException e) {
            // nothing left
        }
    }
}
