package dev.chat.connection;

import static dev.chat.connection.RateLimiter.Verdict.ALLOW;
import static dev.chat.connection.RateLimiter.Verdict.FLOODING;
import static dev.chat.connection.RateLimiter.Verdict.REFUSE;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The token bucket and strike count, driven by explicit nanoTime values. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RateLimiterTest {
    private static final long T0 = 1_000_000_000_000L; // nanoTime has an arbitrary origin
    private static final long MS = 1_000_000L;
    private static final long SECOND = 1_000_000_000L;

    /** 20 frames per second, burst 40: the defaults. */
    private final RateLimiter limiter = new RateLimiter(20, 40, T0);

    private void spendBurst(long now) {
        for (int i = 0; i < 40; i++) {
            assertEquals(ALLOW, limiter.acquire(now), "frame " + (i + 1) + " of the burst");
        }
    }

    @Test
    void aFullBurstIsAllowedAtOnce() {
        spendBurst(T0);
    }

    @Test
    void theFrameAfterTheBurstIsRefused() {
        spendBurst(T0);
        assertEquals(REFUSE, limiter.acquire(T0));
    }

    @Test
    void oneTokenRefillsAfterOneOverRateSeconds() {
        spendBurst(T0);
        assertEquals(REFUSE, limiter.acquire(T0 + 49 * MS));
        assertEquals(ALLOW, limiter.acquire(T0 + 50 * MS)); // 20/s: one token per 50 ms
        assertEquals(REFUSE, limiter.acquire(T0 + 50 * MS));
    }

    @Test
    void refillNeverExceedsTheBurst() {
        spendBurst(T0);
        long later = T0 + 3600 * SECOND;
        spendBurst(later);
        assertEquals(REFUSE, limiter.acquire(later));
    }

    @Test
    void refusalsUpToFloodStrikesWithinTheWindowAreRefuse() {
        spendBurst(T0);
        for (int i = 0; i < RateLimiter.FLOOD_STRIKES; i++) {
            assertEquals(REFUSE, limiter.acquire(T0 + i * MS), "refusal " + (i + 1));
        }
    }

    @Test
    void theRefusalAfterFloodStrikesWithinTheWindowIsFlooding() {
        spendBurst(T0);
        for (int i = 0; i < RateLimiter.FLOOD_STRIKES; i++) {
            limiter.acquire(T0);
        }
        assertEquals(FLOODING, limiter.acquire(T0));
    }

    @Test
    void strikesResetAfterTheWindow() {
        spendBurst(T0);
        for (int i = 0; i < RateLimiter.FLOOD_STRIKES; i++) {
            assertEquals(REFUSE, limiter.acquire(T0));
        }
        long afterWindow = T0 + RateLimiter.STRIKE_WINDOW_NANOS + 1;
        spendBurst(afterWindow); // the bucket refilled meanwhile
        for (int i = 0; i < RateLimiter.FLOOD_STRIKES; i++) {
            assertEquals(REFUSE, limiter.acquire(afterWindow), "refusal " + (i + 1) + " of the new window");
        }
        assertEquals(FLOODING, limiter.acquire(afterWindow));
    }

    @Test
    void allowedFramesDoNotCountAsStrikes() {
        RateLimiter slow = new RateLimiter(1, 1, T0);
        for (int i = 0; i < 100; i++) {
            assertEquals(ALLOW, slow.acquire(T0 + i * SECOND));
        }
    }
}
