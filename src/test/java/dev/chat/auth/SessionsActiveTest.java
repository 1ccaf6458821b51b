package dev.chat.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * {@link Sessions#active}, the check of every handshake and {@code refresh}: cheap (one store query
 * per session per {@link Sessions#ACTIVE_FOR}), an end forgotten at once where it is known, and a
 * store that cannot be reached believing the token, with a hand-driven store and clock.
 */
class SessionsActiveTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2025-06-01T12:00:00Z"), ZoneOffset.UTC);
    private final AtomicLong nanos = new AtomicLong();
    private final CountingStore store = new CountingStore();
    private final List<Sessions.Ended> ended = new ArrayList<>();
    private final Sessions sessions = new Sessions(store,
            new JwtTokenIssuer("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8), Duration.ofMinutes(15), CLOCK),
            Duration.ofDays(30), CLOCK, nanos::get, ended::add);

    /** Answers {@link #active} from a flag and counts the queries. */
    static final class CountingStore implements SessionStore {
        boolean active = true;
        boolean down;
        int queries;

        @Override
        public boolean active(String id, long now) {
            if (down) {
                throw new UserStoreUnavailableException(new java.sql.SQLException("down"));
            }
            queries++;
            return active;
        }

        @Override
        public boolean revoke(String id, long now) {
            active = false;
            return true;
        }

        @Override
        public void create(String id, String user, String tokenHash, long now, long expiresAt) { }

        @Override
        public Optional<Found> find(String tokenHash) {
            return Optional.empty();
        }

        @Override
        public boolean rotate(String id, long generation, String newHash, long now) {
            return false;
        }

        @Override
        public List<String> revokeAll(String user, String except, long now) {
            return List.of();
        }

        @Override
        public int deleteExpired(long now, int max) {
            return 0;
        }
    }

    @Test
    void anActiveSessionIsBelievedForTheBoundThenAskedAgain() {
        assertTrue(sessions.active("s"));
        nanos.addAndGet(Sessions.ACTIVE_FOR.toNanos() - 1);
        assertTrue(sessions.active("s"));
        assertEquals(1, store.queries);
        nanos.addAndGet(1);
        store.active = false; // ended on another node, whose event this node missed
        assertFalse(sessions.active("s"));
        assertEquals(2, store.queries);
        assertFalse(sessions.active("s"));
        assertEquals(2, store.queries, "an ended session is remembered: it never comes back");
    }

    @Test
    void endingASessionHereIsSeenAtOnceAndToldToTheOtherNodes() {
        assertTrue(sessions.active("s"));
        assertTrue(sessions.end("alice", "s"));
        assertFalse(sessions.active("s"), "not the cached answer");
        assertEquals(List.of(new Sessions.Ended("alice", List.of("s"), false)), ended);
    }

    @Test
    void anEndFromAnotherNodeIsForgottenAtOnce() {
        assertTrue(sessions.active("s"));
        store.active = false;
        sessions.forget(List.of("s"));
        assertFalse(sessions.active("s"));
    }

    @Test
    void whileTheStoreIsDownASessionNotKnownToHaveEndedIsBelieved() {
        store.down = true;
        assertTrue(sessions.active("s"));
        store.down = false;
        store.active = false;
        assertFalse(sessions.active("s"), "and asked again once it is back");
    }
}
