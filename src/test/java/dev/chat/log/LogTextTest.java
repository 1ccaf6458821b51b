package dev.chat.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LogTextTest {
    @Test
    void lineBreaksQuotesAndBackslashesAreEscapedSoNoLineCanBeForged() {
        assertEquals("\"HS256\\nDec 02, 2026 INFO: forged \\\"line\\\" \\\\ \\r\\t\"",
                LogText.quote("HS256\nDec 02, 2026 INFO: forged \"line\" \\ \r\t"));
    }

    @Test
    void controlFormatAndSeparatorCharactersAndLoneSurrogatesAreEscaped() {
        assertEquals("\"a\\u0000b\\u001bc\\u0085d\\u202ee\\u2028f\\u2029g\\u200bh\\ud800\"",
                LogText.quote("a\u0000b\u001bc\u0085d\u202ee\u2028f\u2029g\u200bh\ud800"));
        assertEquals("\"\\udc00x\"", LogText.quote("\udc00x"));
    }

    @Test
    void ordinaryTextAndWholeSurrogatePairsStayAsTheyAre() {
        assertEquals("\"caf\u00e9 \ud83d\ude00 \u65e5\u672c\"", LogText.quote("caf\u00e9 \ud83d\ude00 \u65e5\u672c"));
        assertEquals("null", LogText.quote(null));
    }

    @Test
    void plainUserNamesStayBareSoTheUsualLinesReadAsBefore() {
        assertEquals("alice", LogText.name("alice"));
        assertEquals("erin@example.com", LogText.name("erin@example.com"));
        assertEquals("null", LogText.name(null));
    }

    @Test
    void anyOtherUserNameIsQuotedWholeSoItCannotPoseAsTheRestOfALine() {
        assertEquals("\"x, trace 0) code 1000\"", LogText.name("x, trace 0) code 1000"));
        assertEquals("\"Zo\u00eb \\\"q\\\"\"", LogText.name("Zo\u00eb \"q\""));
        String emoji = "\ud83d\ude00".repeat(64); // 64 code points, 128 UTF-16 units: not cut
        assertEquals("\"" + emoji + "\"", LogText.name(emoji));
        assertEquals("\"a\\u202eb\"", LogText.name("a\u202eb"), "names are checked before they are logged; escaped anyway");
    }

    @Test
    void longTextIsCutToSixtyFourCharactersAndSaysHowLongItWas() {
        String quoted = LogText.quote("x".repeat(5700));
        assertEquals("\"" + "x".repeat(64) + "\"... (5700 characters)", quoted);
        assertTrue(LogText.quote("\n".repeat(5700)).length() < 64 * 2 + 40, "escapes are bounded too");
    }
}
