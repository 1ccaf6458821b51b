package dev.chat.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Failed-login counting per name and per address, with a settable clock. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LoginThrottleTest {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final LoginThrottle throttle = new LoginThrottle(5, 20, Duration.ofMinutes(5), nanos::get);

    private void advance(Duration d) {
        nanos.addAndGet(d.toNanos());
    }

    @Test
    void fiveFailuresOfANameBlockItUntilTheWindowEnds() {
        for (int i = 0; i < 5; i++) {
            assertEquals(OptionalLong.empty(), throttle.retryAfterSeconds("alice", "10.0.0." + i));
            throttle.failed("alice", "10.0.0." + i);
        }
        assertEquals(OptionalLong.of(300), throttle.retryAfterSeconds("alice", "10.0.0.99"));
        assertEquals(OptionalLong.empty(), throttle.retryAfterSeconds("bob", "10.0.0.1"), "other names are not blocked");
        advance(Duration.ofSeconds(299).plusMillis(1));
        assertEquals(OptionalLong.of(1), throttle.retryAfterSeconds("alice", "10.0.0.99"), "rounded up, never 0");
        advance(Duration.ofSeconds(1));
        assertEquals(OptionalLong.empty(), throttle.retryAfterSeconds("alice", "10.0.0.99"));
    }

    @Test
    void aSuccessResetsTheNamesCount() {
        for (int i = 0; i < 4; i++) {
            throttle.failed("alice", "10.0.0.1");
        }
        throttle.succeeded("alice");
        for (int i = 0; i < 4; i++) {
            throttle.failed("alice", "10.0.0.1");
        }
        assertEquals(OptionalLong.empty(), throttle.retryAfterSeconds("alice", "10.0.0.1"));
    }

    @Test
    void twentyFailuresFromAnAddressBlockEveryNameFromIt() {
        for (int i = 0; i < 20; i++) {
            throttle.failed("user" + i, "10.0.0.7");
        }
        assertTrue(throttle.retryAfterSeconds("someone-new", "10.0.0.7").isPresent());
        assertEquals(OptionalLong.empty(), throttle.retryAfterSeconds("someone-new", "10.0.0.8"));
        throttle.succeeded("user1");
        assertTrue(throttle.retryAfterSeconds("user1", "10.0.0.7").isPresent(), "a success does not clear the address");
    }

    @Test
    void theWindowRestartsAfterItEnds() {
        for (int i = 0; i < 4; i++) {
            throttle.failed("alice", null);
        }
        advance(Duration.ofMinutes(5));
        throttle.failed("alice", null);
        assertEquals(OptionalLong.empty(), throttle.retryAfterSeconds("alice", null), "old failures no longer count");
    }

    @Test
    void memoryStaysBoundedUnderASprayOfNamesAndAddresses() {
        for (int i = 0; i < 3 * LoginThrottle.MAX_ENTRIES; i++) {
            throttle.failed("n" + i + "x".repeat(100), "a" + i);
        }
        assertTrue(throttle.size() <= 2 * LoginThrottle.MAX_ENTRIES, () -> "entries: " + throttle.size());
    }
}
