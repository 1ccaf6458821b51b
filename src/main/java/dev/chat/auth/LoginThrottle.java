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
 * refused attempt costs the node nothing). A successful login clears its name's count.
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
     * Empty when a login for {@code user} from {@code address} may be tried; otherwise the seconds
     * (at least 1) until it may. A null address (unknown to the runtime) is not limited by address.
     */
    public OptionalLong retryAfterSeconds(String user, String address) {
        long now = nanoClock.getAsLong();
        long wait = Math.max(blockedFor(byUser, key(user), maxPerUser, now),
                address == null ? 0 : blockedFor(byAddress, address, maxPerAddress, now));
        return wait <= 0 ? OptionalLong.empty() : OptionalLong.of(Math.max(1, (wait + 999_999_999L) / 1_000_000_000L));
    }

    public void failed(String user, String address) {
        long now = nanoClock.getAsLong();
        count(byUser, key(user), now);
        if (address != null) {
            count(byAddress, address, now);
        }
    }

    public void succeeded(String user) {
        byUser.remove(key(user));
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

    private void count(Map<String, Window> table, String key, long now) {
        if (!table.containsKey(key) && table.size() >= MAX_ENTRIES) {
            makeRoom(table, now);
        }
        table.compute(key, (k, w) -> w == null || now - w.start() >= windowNanos
                ? new Window(now, 1)
                : new Window(w.start(), w.failures() + 1));
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
