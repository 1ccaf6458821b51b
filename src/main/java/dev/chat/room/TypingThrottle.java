package dev.chat.room;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * At most one "user is typing" per user and room per {@link #PERIOD_MILLIS} leaves this node.
 * Per node: a user typing on two nodes at once (two devices) may be relayed twice, which costs
 * nothing; a cluster-wide throttle would cost a Redis round trip per keystroke burst.
 */
final class TypingThrottle {
    /** A user's typing in a room is relayed at most once per this many milliseconds. */
    static final long PERIOD_MILLIS = 3000;
    /** Entries kept before stale ones are trimmed. */
    private static final int TRIM_AT = 10_000;

    /** "room\0user" to when typing was last relayed. */
    private final ConcurrentHashMap<String, Long> last = new ConcurrentHashMap<>();

    /**
     * The user sent a message: the page hides their indicator when it arrives, so typing right after
     * must be relayed again rather than throttled as part of the burst before the send.
     */
    void reset(String room, String user) {
        last.remove(room + '\0' + user);
    }

    /** Whether this typing should be relayed now. */
    boolean allow(String room, String user, long nowNanos) {
        long period = TimeUnit.MILLISECONDS.toNanos(PERIOD_MILLIS);
        boolean[] relay = {false};
        last.compute(room + '\0' + user, (k, at) -> {
            if (at != null && nowNanos - at < period) {
                return at;
            }
            relay[0] = true;
            return nowNanos;
        });
        if (last.size() > TRIM_AT) {
            last.values().removeIf(at -> nowNanos - at >= period);
        }
        return relay[0];
    }
}
