package dev.chat.protocol;

/**
 * What a JSON text from a client must look like before any parser sees it, checked in one linear
 * pass: the parsers recurse per nesting level and parse long numbers in more than linear time, so
 * both are bounded first. Used for WebSocket frames and HTTP bodies alike.
 */
public final class JsonShape {
    private JsonShape() {
    }

    /**
     * Longer than any number a request holds (a seq or a limit fits a long's 19 digits). Parsing a
     * longer one into a big number costs time that grows faster than its length (a 64 KiB number
     * was 55 ms of CPU), so such a frame is refused before parsing.
     */
    static final int MAX_NUMBER_DIGITS = 20;

    /** Deeper than any request; the parser recurses per level, so depth is capped before parsing. */
    static final int MAX_DEPTH = 16;

    /**
     * More values (elements, members, containers) than any frame holds: a frame has a handful of
     * fields. Building parsed values costs 10 to 30 times as much CPU per byte as reading a text, so
     * a 64 KiB frame of small numbers or keys cost milliseconds; counted in the same pass.
     */
    public static final int MAX_FRAME_VALUES = 256;

    /**
     * One pass over the text, skipping string contents: refuses nesting deeper than
     * {@link #MAX_DEPTH} (which would overflow the parser's stack), a number of more than
     * {@link #MAX_NUMBER_DIGITS} digits, and anything after the first complete value (the parser
     * would silently drop it). Null when the shape is fine.
     */
    public static String problem(String text) {
        return problem(text, Integer.MAX_VALUE);
    }

    /** {@link #problem(String)}, also refusing more than {@code maxValues} values (commas and containers). */
    public static String problem(String text, int maxValues) {
        int depth = 0;
        int values = 0;
        int digits = 0; // of the number being read
        boolean inString = false;
        boolean closed = false;
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (!inString && (ch >= '0' && ch <= '9')) {
                if (++digits > MAX_NUMBER_DIGITS) {
                    return "numbers longer than " + MAX_NUMBER_DIGITS + " digits are not accepted";
                }
            } else if (inString || !(ch == '.' || ch == 'e' || ch == 'E' || ch == '+' || ch == '-')) {
                digits = 0;
            }
            if (inString) {
                if (ch == '\\') {
                    i++;
                } else if (ch == '"') {
                    inString = false;
                }
            } else if (closed) {
                if (!Character.isWhitespace(ch)) {
                    return "a frame must be one JSON object, with nothing after it";
                }
            } else if (ch == '"') {
                inString = true;
            } else if (ch == '{' || ch == '[') {
                if (++depth > MAX_DEPTH) {
                    return "JSON nested deeper than " + MAX_DEPTH + " levels";
                }
                if (++values > maxValues) {
                    return "more than " + maxValues + " JSON values in one frame";
                }
            } else if (ch == ',') {
                if (++values > maxValues) {
                    return "more than " + maxValues + " JSON values in one frame";
                }
            } else if (ch == '}' || ch == ']') {
                closed = --depth == 0;
            }
        }
        return null;
    }
}
