package dev.chat.auth;

import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Slows password guessing: counts failed logins per user name and per remote address in a fixed
 * window that starts at the first failure, and once either count reaches its limit refuses further
 * attempts for that name or address until the window ends, before any password is hashed (so a
 * refused attempt costs the node nothing). An attempt counts as a failure from its start until it
 * succeeds; a successful login clears its name's count.
 *
 * <p>Memory is bounded: each table holds at most {@link #MAX_ENTRIES} keys; when one is full, expired
 * windows are swept, and if it is still full the oldest-looking entries are dropped. Dropping can
 * only forget failures, never lock anyone out; and filling a table takes tens of thousands of
 * addresses, since one address stops counting new names after its own limit.
 *
 * <p>Per node: behind a round-robin balancer a cluster of N nodes allows up to N times the attempts.
 */
public final class LoginThrottle {
    /** Per table; an entry is two longs and a key, so a full table is a few MiB. */
    static final int MAX_ENTRIES = 50_000;

    private final int maxPerUser;
    private final int maxPerAddress;
    private final long windowNanos;
    private final LongSupplier nanoClock;
    private final Map<String, Window> byUser = new ConcurrentHashMap<>();
    private final Map<String, Window> byAddress = new ConcurrentHashMap<>();

    /** Failures in the window that began at {@code start}. */
    private record Window(long start, int failures) { }

    /** @param nanoClock monotonic nanoseconds ({@code System::nanoTime}; a settable one in tests) */
    public LoginThrottle(int maxPerUser, int maxPerAddress, Duration window, LongSupplier nanoClock) {
        this.maxPerUser = maxPerUser;
        this.maxPerAddress = maxPerAddress;
        this.windowNanos = window.toNanos();
        this.nanoClock = nanoClock;
    }

    /**
     * Empty when a login for {@code user} from {@code address} may be tried now; otherwise the
     * seconds (at least 1) until it may. Read only: {@link #begin} is what a login calls.
     */
    public OptionalLong retryAfterSeconds(String user, String address) {
        long now = nanoClock.getAsLong();
        long wait = Math.max(blockedFor(byUser, key(user), maxPerUser, now),
                address == null ? 0 : blockedFor(byAddress, address, maxPerAddress, now));
        return seconds(wait);
    }

    /**
     * Starts a login attempt: empty when it may go on, counted as a failure already (so attempts
     * racing each other cannot all pass the check while the first is still hashing: 8 got through
     * where 5 were allowed); otherwise the seconds until one may, and nothing is counted. A null
     * address (unknown to the runtime) is not limited by address. An attempt that fails needs no
     * further call; one that succeeds calls {@link #succeeded}.
     */
    public OptionalLong begin(String user, String address) {
        long now = nanoClock.getAsLong();
        long wait = reserve(byUser, key(user), maxPerUser, now);
        if (wait <= 0 && address != null) {
            wait = reserve(byAddress, address, maxPerAddress, now);
            if (wait > 0) {
                release(byUser, key(user));
            }
        }
        return seconds(wait);
    }

    /** The attempt {@link #begin} counted succeeded: the name's failures are cleared, the address gets its attempt back. */
    public void succeeded(String user, String address) {
        byUser.remove(key(user));
        if (address != null) {
            release(byAddress, address);
        }
    }

    private static OptionalLong seconds(long waitNanos) {
        return waitNanos <= 0 ? OptionalLong.empty() : OptionalLong.of(Math.max(1, (waitNanos + 999_999_999L) / 1_000_000_000L));
    }

    /** Entries held, for tests of the bound. */
    int size() {
        return byUser.size() + byAddress.size();
    }

    /** Names longer than any valid one are cut: they cannot log in anyway, and must not bloat the table. */
    private static String key(String user) {
        return user == null ? "" : user.length() > 64 ? user.substring(0, 64) : user;
    }

    private long blockedFor(Map<String, Window> table, String key, int max, long now) {
        Window w = table.get(key);
        if (w == null || w.failures() < max) {
            return 0;
        }
        return w.start() + windowNanos - now;
    }

    /** Counts one attempt for {@code key} unless it is at its limit; the nanos it must still wait, else 0. Atomic per key. */
    private long reserve(Map<String, Window> table, String key, int max, long now) {
        if (!table.containsKey(key) && table.size() >= MAX_ENTRIES) {
            makeRoom(table, now);
        }
        long[] wait = {0};
        table.compute(key, (k, w) -> {
            if (w == null || now - w.start() >= windowNanos) {
                return new Window(now, 1);
            }
            if (w.failures() >= max) {
                wait[0] = w.start() + windowNanos - now;
                return w;
            }
            return new Window(w.start(), w.failures() + 1);
        });
        return wait[0];
    }

    private static void release(Map<String, Window> table, String key) {
        table.computeIfPresent(key, (k, w) -> w.failures() <= 1 ? null : new Window(w.start(), w.failures() - 1));
    }

    private void makeRoom(Map<String, Window> table, long now) {
        table.values().removeIf(w -> now - w.start() >= windowNanos);
        Iterator<Window> it = table.values().iterator();
        for (int i = table.size() - MAX_ENTRIES + MAX_ENTRIES / 10; i > 0 && it.hasNext(); i--) {
            it.next();
            it.remove();
        }
    }
}
