package dev.chat.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * HTTP/1.1 over a plain socket, for what an HTTP client will not do: a body that stops halfway,
 * headers that never end, a connection that sends nothing, and reading exactly when the server
 * closes.
 */
public final class RawHttp {
    private RawHttp() {
    }

    public static Socket open(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        return s;
    }

    public static void send(Socket s, String text) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(text.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** Everything the server sends until it closes the connection, which must be by {@code deadline} (nanoTime). */
    public static String readUntilClosed(Socket s, long deadline) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        InputStream in = s.getInputStream();
        byte[] buf = new byte[4096];
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                fail("still open at the deadline, after receiving: " + got.toString(StandardCharsets.UTF_8));
            }
            s.setSoTimeout((int) Math.max(1, left / 1_000_000));
            try {
                int n = in.read(buf);
                if (n < 0) {
                    return got.toString(StandardCharsets.UTF_8);
                }
                got.write(buf, 0, n);
            } catch (SocketTimeoutException e) {
                // loop: the deadline check fails it
            } catch (SocketException reset) {
                return got.toString(StandardCharsets.UTF_8); // closed with unread bytes of ours: a reset
            }
        }
    }

    /** One response (headers and a Content-Length body) within {@code timeout}, leaving the connection open. */
    public static String readResponse(Socket s, Duration timeout) throws IOException {
        s.setSoTimeout((int) timeout.toMillis());
        InputStream in = s.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                fail("closed in the middle of a response: " + head);
            }
            head.write(b);
        }
        String headers = head.toString(StandardCharsets.US_ASCII);
        int length = headers.lines().filter(l -> l.toLowerCase().startsWith("content-length:"))
                .map(l -> Integer.parseInt(l.substring(15).trim())).findFirst().orElse(0);
        return headers + new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }
}
