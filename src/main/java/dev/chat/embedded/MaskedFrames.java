package dev.chat.embedded;

import java.nio.ByteBuffer;

/**
 * Follows the frame headers in one WebSocket connection's client-to-server bytes, wherever reads
 * cut them, to find the first frame that is not masked. RFC 6455 §5.1: a client masks every frame
 * it sends, and "the server MUST close the connection upon receiving a frame that is not masked";
 * Tyrus 2.1 reads the mask bit only to decide whether to unmask, and serves such frames.
 *
 * <p>It only reads headers: a payload is skipped by its length, never copied or unmasked, so the
 * cost is a few bytes per frame whatever its size, and the state is one small object per connection (four fields).
 * Not thread-safe: one connection's reads are handed over one at a time, in order.
 */
final class MaskedFrames {
    /** Set once an unmasked frame was found: nothing more of this connection is for Tyrus. */
    private boolean refused;
    /** Header bytes of the current frame seen so far; 0 while in a payload or between frames. */
    private int headerSeen;
    /** The current header's length (2, plus 2 or 8 of extended length, plus the 4-byte key), once known. */
    private int headerLength;
    /** Payload bytes of the current frame still to skip (or, while in a header, its length so far). */
    private long remaining;

    /**
     * Scans {@code bytes} (from its position to its limit, which stay as they are) on from where the
     * last call stopped. Returns the limit when every frame in them is masked; otherwise the index
     * at which the bytes for Tyrus end: the second byte of the first unmasked frame's header (Tyrus
     * cannot parse a header of one byte, so a first byte handed over before stays unused), or the
     * position once a frame has been refused.
     */
    int passableEnd(ByteBuffer bytes) {
        int i = bytes.position();
        int end = bytes.limit();
        if (refused) {
            return i;
        }
        while (i < end) {
            if (headerSeen == 0 && remaining > 0) {
                long skip = Math.min(remaining, end - i);
                i += (int) skip;
                remaining -= skip;
                continue;
            }
            int b = bytes.get(i) & 0xFF;
            if (headerSeen == 1) {
                if ((b & 0x80) == 0) {
                    refused = true;
                    return i;
                }
                int length = b & 0x7F;
                int extended = length == 126 ? 2 : length == 127 ? 8 : 0;
                headerLength = 2 + extended + 4;
                remaining = extended == 0 ? length : 0;
            } else if (headerSeen >= 2 && headerSeen < headerLength - 4) {
                remaining = remaining << 8 | b; // the extended length, network byte order
            }
            i++;
            headerSeen++;
            if (headerSeen == headerLength) {
                headerSeen = 0;
                // a 64-bit length with its top bit set is invalid and Tyrus closes on it; skip the rest
                remaining = remaining < 0 ? Long.MAX_VALUE : remaining;
            }
        }
        return end;
    }

    boolean refused() {
        return refused;
    }
}
