package dev.chat.auth;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** PBKDF2 hashes, with a small work factor to keep the tests fast. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PasswordHasherTest {
    private final PasswordHasher hasher = new PasswordHasher(1000);

    @Test
    void rightPasswordVerifies() {
        assertTrue(hasher.verify("correct horse", hasher.hash("correct horse")));
    }

    @Test
    void wrongPasswordDoesNotVerify() {
        assertFalse(hasher.verify("correct hors", hasher.hash("correct horse")));
    }

    @Test
    void hashRecordsAlgorithmAndIterations() {
        assertTrue(hasher.hash("pw").startsWith("pbkdf2-sha256$1000$"));
    }

    @Test
    void twoHashesOfTheSamePasswordDifferBecauseOfTheSalt() {
        String a = hasher.hash("same password");
        String b = hasher.hash("same password");
        assertNotEquals(a, b);
        assertTrue(hasher.verify("same password", a));
        assertTrue(hasher.verify("same password", b));
    }

    @Test
    void hashMadeWithAnotherIterationCountStillVerifies() {
        String stored = new PasswordHasher(2000).hash("pw");
        assertTrue(hasher.verify("pw", stored));
    }

    @Test
    void nullStoredHashDoesNotVerify() {
        assertFalse(hasher.verify("anything", null));
    }

    @Test
    void decoyPasswordDoesNotVerifyAgainstAMissingHash() {
        assertFalse(hasher.verify("decoy-password-for-unknown-users", null));
    }

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @ValueSource(strings = {"", "garbage", "pbkdf2-sha256", "bcrypt$10$abc$def", "pbkdf2-sha256$1000$onlysalt",
            "pbkdf2-sha256$$$", "pbkdf2-sha256$1000$c2FsdA$aGFzaA$extra"})
    void unparsableStoredStringDoesNotVerify(String stored) {
        assertFalse(hasher.verify("pw", stored));
    }

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @ValueSource(strings = {"pbkdf2-sha256$many$c2FsdA$aGFzaA", "pbkdf2-sha256$1000$not*base64$aGFzaA",
            "pbkdf2-sha256$1000$c2FsdA$not*base64", "pbkdf2-sha256$0$c2FsdA$aGFzaA", "pbkdf2-sha256$-5$c2FsdA$aGFzaA"})
    void storedStringWithTheRightShapeButBadFieldsDoesNotVerify(String stored) {
        // verify is documented to fail, not throw, on an unreadable stored hash
        assertFalse(hasher.verify("pw", stored));
    }
}
