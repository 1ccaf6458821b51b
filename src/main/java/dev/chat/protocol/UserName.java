package dev.chat.protocol;

import java.text.Normalizer;
import java.util.regex.Pattern;

/**
 * The one syntax of user names, for every place that takes a name from outside (frames, tokens,
 * the HTTP API, imports). Two rules:
 *
 * <ul>
 *   <li>Any name ({@link #problem}), as an identity provider may assert it: an e-mail address or any
 *       printable name of 1 to {@link #MAX} Unicode code points (an emoji is one, as in a message's
 *       text, and as PostgreSQL's {@code VARCHAR(64)} counts), in NFC (so one visible name is one
 *       string, never two users that look alike by composition), with no control, format (bidi
 *       overrides and isolates, zero-width characters), private-use, unassigned or surrogate code
 *       point, no line or paragraph separator, no space but U+0020, and none at either end; not
 *       starting with {@code @}, which the server's own names do (the owner {@code @server} of the
 *       public rooms, the direct rooms).</li>
 *   <li>A local account's name ({@link #isLocal}), stricter: {@code [A-Za-z0-9_.-]{1,32}}, as before
 *       provider names grew. It cannot hold {@code @}, so no local account looks like a provider's
 *       e-mail, and being ASCII it has no homoglyphs but case.</li>
 * </ul>
 *
 * Names are compared exactly (case included): {@code Erin} and {@code erin} are two users.
 */
public final class UserName {
    /** Longest name, in code points. */
    public static final int MAX = 64;
    /**
     * Names that start with this are the server API's bots ({@code bot:<local name>}); no user may
     * have one (a local name has no {@code :}, and a provider's such name is refused at the handshake).
     */
    public static final String BOT_PREFIX = "bot:";
    /** The local-account rule; also the syntax names had before this version, so every stored name passes it. */
    public static final Pattern LOCAL = Pattern.compile("[A-Za-z0-9_.-]{1,32}");
    /** The local rule as the error messages and the README say it. */
    public static final String LOCAL_RULE = "^[A-Za-z0-9_.-]{1,32}$";
    /** What the error messages say of any name. */
    public static final String RULE = "1 to " + MAX + " printable characters";

    private UserName() {
    }

    /** Whether {@code name} is a valid user name (any origin). */
    public static boolean isValid(String name) {
        return problem(name) == null;
    }

    /** Whether {@code name} may be a local account's. */
    public static boolean isLocal(String name) {
        return name != null && LOCAL.matcher(name).matches();
    }

    /** Why {@code name} is not a valid user name, or null when it is; never echoes the name. */
    public static String problem(String name) {
        if (name == null || name.isEmpty()) {
            return "is empty";
        }
        if (name.length() > 2 * MAX) {
            return "is longer than " + MAX + " characters"; // before any scan: no work for junk
        }
        if (isLocal(name)) {
            return null; // the common case, and certainly fine
        }
        int count = 0;
        for (int i = 0; i < name.length(); ) {
            int cp = name.codePointAt(i);
            String bad = refused(cp);
            if (bad != null) {
                return "contains " + bad + String.format(" (U+%04X)", cp);
            }
            i += Character.charCount(cp);
            count++;
        }
        if (count > MAX) {
            return "is longer than " + MAX + " characters";
        }
        if (name.codePointAt(0) == ' ' || name.charAt(name.length() - 1) == ' ') {
            return "starts or ends with a space";
        }
        if (name.charAt(0) == '@') {
            // the server's own names start so (the owner "@server" of CHAT_PUBLIC_ROOMS, the direct rooms)
            return "starts with @";
        }
        if (!Normalizer.isNormalized(name, Normalizer.Form.NFC)) {
            return "is not in Unicode NFC";
        }
        return null;
    }

    /** What kind of refused code point {@code cp} is, or null when a name may hold it. */
    private static String refused(int cp) {
        return switch (Character.getType(cp)) {
            case Character.CONTROL -> "a control character";
            case Character.FORMAT -> "a format character";
            case Character.SURROGATE -> "half a surrogate pair";
            case Character.PRIVATE_USE -> "a private-use character";
            case Character.UNASSIGNED -> "an unassigned code point";
            case Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR -> "a line or paragraph separator";
            case Character.SPACE_SEPARATOR -> cp == ' ' ? null : "a space other than U+0020";
            default -> null;
        };
    }
}
