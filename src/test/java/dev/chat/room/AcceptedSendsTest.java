package dev.chat.room;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Committed ids, each good for one free resend: once, by the same user in the same conversation, within the window, bounded. */
class AcceptedSendsTest {
    private static final long SECOND = 1_000_000_000L;
    private final AcceptedSends sends = new AcceptedSends(3, Duration.ofSeconds(10));

    @Test
    void aCommittedIdIsAFreeResendOnceOnly() {
        sends.committed("alice", "general", "c-1", 0);
        assertTrue(sends.takeResend("alice", "general", "c-1", SECOND));
        assertFalse(sends.takeResend("alice", "general", "c-1", 2 * SECOND));
    }

    @Test
    void onlyTheSameUserInTheSameConversationWithTheSameId() {
        sends.committed("alice", "general", "c-1", 0);
        assertFalse(sends.takeResend("bob", "general", "c-1", 0));
        assertFalse(sends.takeResend("alice", "random", "c-1", 0));
        assertFalse(sends.takeResend("alice", "general", "c-2", 0));
        assertFalse(sends.takeResend("alice", "general", null, 0));
        assertTrue(sends.takeResend("alice", "general", "c-1", 0));
    }

    @Test
    void anIdPastTheWindowIsNoLongerFree() {
        sends.committed("alice", "general", "c-1", 0);
        assertFalse(sends.takeResend("alice", "general", "c-1", 11 * SECOND));
    }

    @Test
    void theOldestGoFirstPastTheCapacityAndExpiredOnesOnTheNextCommit() {
        for (int i = 1; i <= 4; i++) {
            sends.committed("alice", "general", "c-" + i, i * SECOND);
        }
        assertEquals(3, sends.size());
        assertFalse(sends.takeResend("alice", "general", "c-1", 5 * SECOND));
        sends.committed("alice", "general", "c-5", 13 * SECOND); // c-2 (at 2 s) is past the window now
        assertEquals(3, sends.size());
        assertFalse(sends.takeResend("alice", "general", "c-2", 13 * SECOND));
        assertTrue(sends.takeResend("alice", "general", "c-3", 13 * SECOND));
        assertTrue(sends.takeResend("alice", "general", "c-5", 13 * SECOND));
    }

    @Test
    void aSendWithoutAnIdIsNotKept() {
        sends.committed("alice", "general", null, 0);
        assertEquals(0, sends.size());
    }
}
