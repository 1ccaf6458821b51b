package dev.chat.bench;

import java.nio.charset.StandardCharsets;

/**
 * What differs between the servers the generator drives: the handshake path, what a connection
 * must do before it counts as a member, and how a published message is framed and found again in
 * a received line. Everything else (sockets, timing, counting) is shared, so all servers are
 * measured by the same code.
 */
interface Dialect {
    /** The room every bench connection joins (chat) or the whole server (raw). */
    String ROOM = "bench";

    /** Request target of the upgrade for connection {@code index}. */
    String path(int index);

    /** True when the server sends a message back to the connection that sent it. */
    boolean echoesToSender();

    /** True when a connection is a member as soon as the upgrade succeeds (no welcome or join). */
    boolean memberOnUpgrade();

    /** The text frame that publishes {@code text}. */
    byte[] publish(String text, long seq);

    /** Classifies one received line: where its stamp starts, or a control event. */
    Line classify(byte[] b, int from, int to);

    /** A received line: a message whose stamp starts at {@code stamp}, or a protocol event. */
    enum Kind { MESSAGE, WELCOME, JOINED, ERROR, OTHER }

    record Line(Kind kind, int stamp) {
        static final Line WELCOME = new Line(Kind.WELCOME, -1);
        static final Line JOINED = new Line(Kind.JOINED, -1);
        static final Line ERROR = new Line(Kind.ERROR, -1);
        static final Line OTHER = new Line(Kind.OTHER, -1);
    }

    /** Protocol v1 of this project: token in the query, welcome, join, JSON send and message frames. */
    final class Chat implements Dialect {
        private static final byte[] TYPE = "\"type\":\"".getBytes(StandardCharsets.US_ASCII);
        private static final byte[] TEXT = "\"text\":\"".getBytes(StandardCharsets.US_ASCII);
        private final TokenSource tokens;

        Chat(TokenSource tokens) {
            this.tokens = tokens;
        }

        /** A token for the user of connection {@code index}. */
        interface TokenSource {
            String token(int index);
        }

        @Override
        public String path(int index) {
            return "/ws?access_token=" + tokens.token(index);
        }

        @Override
        public boolean echoesToSender() {
            return false;
        }

        @Override
        public boolean memberOnUpgrade() {
            return false;
        }

        static byte[] join() {
            return ("{\"type\":\"join\",\"room\":\"" + ROOM + "\",\"id\":\"j\"}").getBytes(StandardCharsets.US_ASCII);
        }

        @Override
        public byte[] publish(String text, long seq) {
            return ("{\"type\":\"send\",\"room\":\"" + ROOM + "\",\"text\":\"" + text + "\",\"id\":\"" + seq + "\"}")
                    .getBytes(StandardCharsets.US_ASCII);
        }

        @Override
        public Line classify(byte[] b, int from, int to) {
            int t = indexOf(b, from, to, TYPE);
            if (t < 0) {
                return Line.OTHER;
            }
            switch (b[t]) {
                case 'm': {
                    int s = indexOf(b, from, to, TEXT);
                    return s < 0 ? Line.OTHER : new Line(Kind.MESSAGE, s);
                }
                case 'w': return Line.WELCOME;
                case 'j': return Line.JOINED;
                case 'e': return Line.ERROR;
                default: return Line.OTHER;
            }
        }

        /** The index just after {@code needle} in {@code b[from, to)}, or -1. */
        static int indexOf(byte[] b, int from, int to, byte[] needle) {
            outer:
            for (int i = from; i <= to - needle.length; i++) {
                for (int j = 0; j < needle.length; j++) {
                    if (b[i + j] != needle[j]) {
                        continue outer;
                    }
                }
                return i + needle.length;
            }
            return -1;
        }
    }

    /**
     * Plain-text broadcast, no auth, no rooms: the gorilla/websocket chat example and the bare Tyrus
     * endpoint. Every connection gets every message, the sender's own included.
     */
    final class Raw implements Dialect {
        @Override
        public String path(int index) {
            return "/ws";
        }

        @Override
        public boolean echoesToSender() {
            return true;
        }

        @Override
        public boolean memberOnUpgrade() {
            return true;
        }

        @Override
        public byte[] publish(String text, long seq) {
            return text.getBytes(StandardCharsets.US_ASCII);
        }

        @Override
        public Line classify(byte[] b, int from, int to) {
            return to > from && b[from] == 'b' ? new Line(Kind.MESSAGE, from) : Line.OTHER;
        }
    }
}
