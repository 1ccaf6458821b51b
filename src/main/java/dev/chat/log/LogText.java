package dev.chat.log;

/**
 * Client text as it may appear in a log line: quoted, at most {@link #MAX} characters, with
 * quotes, backslashes and every control, format or line-breaking character escaped, so a client
 * can neither forge a line nor flood one.
 */
public final class LogText {
    /** Characters of client text a log line shows at most. */
    public static final int MAX = 64;

    private LogText() {
    }

    /** Longest user name a log line shows whole: 64 code points are at most 128 UTF-16 units. */
    private static final int MAX_NAME = 128;

    /**
     * A user name for a log line: bare when it is only letters, digits and {@code _ . - @ +} (every
     * local account's name, most e-mail addresses), so the usual lines read as before; otherwise
     * quoted and escaped as {@link #quote} does, but whole, since a user name is bounded already
     * and two names that differ at the end must not look alike. A quoted name starts with a
     * quote, which no bare one can: a name such as {@code x, trace 0)} cannot pose as the rest of a line.
     */
    public static String name(String user) {
        if (user == null) {
            return "null";
        }
        if (!user.isEmpty() && user.length() <= MAX_NAME && user.chars().allMatch(LogText::plain)) {
            return user;
        }
        return quote(user, MAX_NAME);
    }

    private static boolean plain(int ch) {
        return ch < 128 && (Character.isLetterOrDigit(ch) || ch == '_' || ch == '.' || ch == '-' || ch == '@' || ch == '+');
    }

    /** {@code text} quoted and escaped for a log line; {@code null} is {@code null}, unquoted. */
    public static String quote(String text) {
        return quote(text, MAX);
    }

    private static String quote(String text, int max) {
        if (text == null) {
            return "null";
        }
        int shown = Math.min(text.length(), max);
        StringBuilder out = new StringBuilder(shown + 32).append('"');
        for (int i = 0; i < shown; i++) {
            char ch = text.charAt(i);
            switch (ch) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (unsafe(text, i, shown)) {
                        out.append(String.format("\\u%04x", (int) ch));
                    } else {
                        out.append(ch);
                    }
                }
            }
        }
        out.append('"');
        if (text.length() > shown) {
            out.append("... (").append(text.length()).append(" characters)");
        }
        return out.toString();
    }

    /** Control (C0, C1), format (bidi overrides, zero-width), line or paragraph separator, or half a surrogate pair. */
    private static boolean unsafe(String text, int i, int end) {
        char ch = text.charAt(i);
        int type = Character.getType(ch);
        if (type == Character.CONTROL || type == Character.FORMAT
                || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR) {
            return true;
        }
        if (Character.isHighSurrogate(ch)) {
            return i + 1 >= end || !Character.isLowSurrogate(text.charAt(i + 1));
        }
        if (Character.isLowSurrogate(ch)) {
            return i == 0 || !Character.isHighSurrogate(text.charAt(i - 1));
        }
        return false;
    }
}
