package dev.chat.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.Names;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The one user-name syntax: what any name may be, and the stricter local-account rule. */
class UserNameTest {
    @ParameterizedTest
    @ValueSource(strings = {"alice", "a", "erin@example.com", "Erin Smith", "o'brien", "名前", "x+y", "a%b", "<img src=x onerror=alert(1)>",
            "e\u0301", "\uD83D\uDE00"})
    void printableNamesAreValid(String name) {
        if (name.equals("e\u0301")) {
            name = java.text.Normalizer.normalize(name, java.text.Normalizer.Form.NFC); // é, one code point
        }
        assertNull(UserName.problem(name), name);
    }

    @Test
    void sixtyFourCodePointsAreValidWhateverTheirUtf16Length() {
        assertEquals(64, Names.UNICODE_64.codePointCount(0, Names.UNICODE_64.length()));
        assertTrue(Names.UNICODE_64.length() > 64, "the fixture has characters outside the BMP");
        assertNull(UserName.problem(Names.UNICODE_64));
        assertNull(UserName.problem("\uD83D\uDE00".repeat(64)), "64 emoji are 128 UTF-16 units and still valid");
    }

    @Test
    void sixtyFiveCodePointsAreTooLong() {
        assertEquals("is longer than 64 characters", UserName.problem(Names.pad(Names.UNICODE_64, 65)));
        assertEquals("is longer than 64 characters", UserName.problem("x".repeat(65)));
        assertEquals("is longer than 64 characters", UserName.problem("\uD83D\uDE00".repeat(65)));
    }

    @Test
    void controlFormatAndSeparatorCharactersAreRefusedByCodePoint() {
        assertEquals("contains a control character (U+000A)", UserName.problem("a\nb"));
        assertEquals("contains a control character (U+0000)", UserName.problem("a\u0000"));
        assertEquals("contains a control character (U+0085)", UserName.problem("a\u0085b"));
        assertEquals("contains a format character (U+202E)", UserName.problem("evil\u202Egpj.exe"));
        assertEquals("contains a format character (U+2066)", UserName.problem("a\u2066b"));
        assertEquals("contains a format character (U+200B)", UserName.problem("ad\u200Bmin"));
        assertEquals("contains a format character (U+FEFF)", UserName.problem("\uFEFFalice"));
        assertEquals("contains a line or paragraph separator (U+2028)", UserName.problem("a\u2028b"));
        assertEquals("contains a space other than U+0020 (U+00A0)", UserName.problem("erin\u00A0smith"));
        assertEquals("contains a private-use character (U+E000)", UserName.problem("a\uE000"));
        assertEquals("contains an unassigned code point (U+0378)", UserName.problem("a\u0378"));
        assertEquals("contains half a surrogate pair (U+D800)", UserName.problem("a\uD800b"));
        assertEquals("contains half a surrogate pair (U+DC00)", UserName.problem("\uDC00"));
    }

    @Test
    void spacesAtEitherEndNonNfcAndALeadingAtAreRefused() {
        assertEquals("starts or ends with a space", UserName.problem(" erin"));
        assertEquals("starts or ends with a space", UserName.problem("erin "));
        assertEquals("is not in Unicode NFC", UserName.problem("Jose\u0301"));
        assertEquals("starts with @", UserName.problem("@server"));
        assertEquals("is empty", UserName.problem(""));
        assertEquals("is empty", UserName.problem(null));
    }

    @Test
    void theReasonNeverEchoesTheName() {
        assertFalse(UserName.problem("secret\u202E").contains("secret"));
    }

    @Test
    void localAccountsKeepTheOldAsciiSyntax() {
        assertTrue(UserName.isLocal("alice.b-c_9"));
        assertTrue(UserName.isLocal("x".repeat(32)));
        assertFalse(UserName.isLocal("x".repeat(33)));
        assertFalse(UserName.isLocal(Names.EMAIL), "no local account looks like a provider's e-mail");
        assertFalse(UserName.isLocal("Zoë"));
        assertFalse(UserName.isLocal("a b"));
        assertFalse(UserName.isLocal(null));
    }
}
