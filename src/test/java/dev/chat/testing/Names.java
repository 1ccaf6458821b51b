package dev.chat.testing;

/** User names of the new syntax that the tests share: the edges of {@code UserName}. */
public final class Names {
    /** An identity provider's e-mail name: {@code @} and {@code .}, which local names never mix so. */
    public static final String EMAIL = "erin@example.com";
    /**
     * Exactly 64 code points in 83 UTF-16 units: accents (NFC), Greek, CJK, Hebrew (right to left),
     * emoji outside the BMP, {@code + % : { } | <} and inner spaces, everything a key or a channel
     * could trip on.
     */
    public static final String UNICODE_64 = pad("Zoë Ωμέγα 日本語 שלום \uD83D\uDE00\uD83C\uDF89 a+b%2B:{x}|<i> ", 64);

    private Names() {
    }

    /** {@code head} followed by "ß" up to {@code codePoints} code points. */
    public static String pad(String head, int codePoints) {
        StringBuilder s = new StringBuilder(head);
        for (int n = head.codePointCount(0, head.length()); n < codePoints; n++) {
            s.append('ß');
        }
        return s.toString();
    }
}
