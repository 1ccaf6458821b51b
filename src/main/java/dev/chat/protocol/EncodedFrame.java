package dev.chat.protocol;

/**
 * One server frame already turned into JSON, with its UTF-8 size. A broadcast encodes once and
 * hands the same instance to every receiver's outbox; the size is what the outbox bounds.
 * {@code acceptedNanos} is the {@link System#nanoTime} at which the server accepted the message the
 * frame carries, from which the outbox measures delivery latency; 0 for frames that are not messages.
 */
public record EncodedFrame(String json, int bytes, long acceptedNanos) {

    public static EncodedFrame of(String json) {
        return new EncodedFrame(json, utf8Length(json), 0);
    }

    /** A {@code message} frame, accepted at {@code acceptedNanos} (never 0: 0 means "not a message"). */
    public static EncodedFrame message(String json, long acceptedNanos) {
        return new EncodedFrame(json, utf8Length(json), acceptedNanos == 0 ? 1 : acceptedNanos);
    }

    /** The UTF-8 size of a string without encoding it. */
    public static int utf8Length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c)) {
                n += 4; // with the low surrogate that follows
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }
}
