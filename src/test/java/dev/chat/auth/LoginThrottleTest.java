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
    private final LoginThrottle throttle = new LoginThrottle(5, 100, Duration.ofMinutes(5), nanos::get);

    private void advance(Duration d) {
        nanos.addAndGet(d.toNanos());
    }

    @Test
    void fiveFailuresOfANameFromAnAddressBlockThatPairUntilTheWindowEnds() {
        for (int i = 0; i < 5; i++) {
            assertEquals(OptionalLong.empty(), throttle.begin("alice", "10.0.0.1"));
        }
        assertEquals(OptionalLong.of(300), throttle.retryAfterSeconds("alice", "10.0.0.1"));
        assertEquals(OptionalLong.empty(), throttle.retryAfterSeconds("bob", "10.0.0.1"), "other names are not blocked");
        advance(Duration.ofSeconds(299).plusMillis(1));
        assertEquals(OptionalLong.of(1), throttle.retryAfterSeconds("alice", "10.0.0.1"), "rounded up, never 0");
        advance(Duration.ofSeconds(1));
        assertEquals(OptionalLong.empty(), throttle.retryAfterSeconds("alice", "10.0.0.1"));
    }

    /** A lock per name let anyone lock any user out from anywhere. */
    @Test
    void failuresOfANameFromOneAddressDoNotLockItOutElsewhere() {
        for (int i = 0; i < 50; i++) {
            throttle.begin("alice", "10.6.6.6");
        }
        assertTrue(throttle.retryAfterSeconds("alice", "10.6.6.6").isPresent());
        assertEquals(OptionalLong.empty(), throttle.begin("alice", "10.0.0.1"), "alice from her own address");
    }

    /** 13 failed logins at random names once locked the address, so everyone behind the same proxy. */
    @Test
    void guessesAtManyNamesDoNotLockOthersOutBeforeTheAddressBudget() {
        for (int i = 0; i < 99; i++) {
            assertEquals(OptionalLong.empty(), throttle.begin("random" + i, "10.0.0.7"));
        }
        assertEquals(OptionalLong.empty(), throttle.begin("alice", "10.0.0.7"), "the 100th failure from the address is allowed");
        assertTrue(throttle.begin("bob", "10.0.0.7").isPresent(), "the address's own budget ends there");
    }

    @Test
    void aSuccessResetsTheNamesCount() {
        for (int i = 0; i < 4; i++) {
            throttle.begin("alice", "10.0.0.1");
        }
        assertEquals(OptionalLong.empty(), throttle.begin("alice", "10.0.0.1"));
        throttle.succeeded("alice", "10.0.0.1");
        for (int i = 0; i < 4; i++) {
            throttle.begin("alice", "10.0.0.1");
        }
        assertEquals(OptionalLong.empty(), throttle.retryAfterSeconds("alice", "10.0.0.1"));
    }

    @Test
    void aHundredFailuresFromAnAddressBlockEveryNameFromIt() {
        for (int i = 0; i < 100; i++) {
            throttle.begin("user" + i, "10.0.0.7");
        }
        assertTrue(throttle.begin("someone-new", "10.0.0.7").isPresent());
        assertEquals(OptionalLong.empty(), throttle.retryAfterSeconds("someone-new", "10.0.0.8"));
        throttle.succeeded("user1", "10.0.0.7");
        assertEquals(OptionalLong.empty(), throttle.begin("user1", "10.0.0.7"), "a success gives its own attempt back");
        assertTrue(throttle.begin("user2", "10.0.0.7").isPresent(), "and only that: the other 99 failures stand");
    }

    @Test
    void theWindowRestartsAfterItEnds() {
        for (int i = 0; i < 4; i++) {
            throttle.begin("alice", null);
        }
        advance(Duration.ofMinutes(5));
        throttle.begin("alice", null);
        assertEquals(OptionalLong.empty(), throttle.retryAfterSeconds("alice", null), "old failures no longer count");
    }

    @Test
    void memoryStaysBoundedUnderASprayOfNamesAndAddresses() {
        for (int i = 0; i < 3 * LoginThrottle.MAX_ENTRIES; i++) {
            throttle.begin("n" + i + "x".repeat(100), "a" + i);
        }
        assertTrue(throttle.size() <= 2 * LoginThrottle.MAX_ENTRIES, () -> "entries: " + throttle.size());
    }

    /** Eight guesses once passed where five were allowed: each checked before the first had failed. */
    @Test
    void attemptsRacingEachOtherPassOnlyUpToTheLimit() throws Exception {
        int threads = 32;
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads);
        java.util.concurrent.atomic.AtomicInteger passed = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            java.util.List<java.util.concurrent.Future<?>> all = new java.util.ArrayList<>();
            for (int i = 0; i < threads; i++) {
                all.add(pool.submit(() -> {
                    start.await();
                    if (throttle.begin("carol", "10.0.0.3").isEmpty()) {
                        passed.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> f : all) {
                f.get(10, java.util.concurrent.TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(5, passed.get());
    }
}
