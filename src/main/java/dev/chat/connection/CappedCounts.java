package dev.chat.connection;

import java.util.concurrent.ConcurrentHashMap;

/**
 * How many of something each key holds, up to a cap: connections per client address, counted by
 * {@link Connections} for WebSockets and by the jar's TCP cap for every socket. Each check-and-count
 * is one atomic step per key; a key's entry lives only while it holds something, so the table is
 * bounded by what is held.
 */
public final class CappedCounts {
    private final int max;
    private final ConcurrentHashMap<String, Integer> held = new ConcurrentHashMap<>();

    public CappedCounts(int max) {
        this.max = max;
    }

    /** Counts one for {@code key} unless it holds the cap already; true when counted. */
    public boolean acquire(String key) {
        boolean[] counted = {false};
        held.compute(key, (k, n) -> {
            int now = n == null ? 0 : n;
            if (now >= max) {
                return n;
            }
            counted[0] = true;
            return now + 1;
        });
        return counted[0];
    }

    /** Gives one back (the entry goes with the last). */
    public void release(String key) {
        held.computeIfPresent(key, (k, n) -> n <= 1 ? null : n - 1);
    }
}
