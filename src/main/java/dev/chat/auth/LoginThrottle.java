package dev.chat.auth;

import java.time.Duration;
import java.util.OptionalLong;
import java.util.function.LongSupplier;

/**
 * Slows password guessing: counts failed logins per user name and per remote address in a fixed
 * window that starts at the first failure, and once either count reaches its limit refuses further
 * attempts for that name or address until the window ends, before any password is hashed (so a
 * refused attempt costs the node nothing). An attempt counts as a failure from its start until it
 * succeeds; a successful login clears its name's count.
 *
 * <p>Memory is bounded ({@link FixedWindows}: at most {@link #MAX_ENTRIES} keys per table); filling a
 * table takes tens of thousands of addresses, since one address stops counting new names after its
 * own limit.
 *
 * <p>Per node: behind a round-robin balancer a cluster of N nodes allows up to N times the attempts.
 */
public final class LoginThrottle {
    static final int MAX_ENTRIES = FixedWindows.MAX_ENTRIES;

    private final FixedWindows byUser;
    private final FixedWindows byAddress;

    /** @param nanoClock monotonic nanoseconds ({@code System::nanoTime}; a settable one in tests) */
    public LoginThrottle(int maxPerUser, int maxPerAddress, Duration window, LongSupplier nanoClock) {
        this.byUser = new FixedWindows(maxPerUser, window.toNanos(), nanoClock);
        this.byAddress = new FixedWindows(maxPerAddress, window.toNanos(), nanoClock);
    }

    /**
     * Empty when a login for {@code user} from {@code address} may be tried now; otherwise the
     * seconds (at least 1) until it may. Read only: {@link #begin} is what a login calls.
     */
    public OptionalLong retryAfterSeconds(String user, String address) {
        return seconds(Math.max(byUser.blockedFor(key(user)), address == null ? 0 : byAddress.blockedFor(address)));
    }

    /**
     * Starts a login attempt: empty when it may go on, counted as a failure already (so attempts
     * racing each other cannot all pass the check while the first is still hashing: 8 got through
     * where 5 were allowed); otherwise the seconds until one may, and nothing is counted. A null
     * address (unknown to the runtime) is not limited by address. An attempt that fails needs no
     * further call; one that succeeds calls {@link #succeeded}.
     */
    public OptionalLong begin(String user, String address) {
        long wait = byUser.take(key(user));
        if (wait <= 0 && address != null) {
            wait = byAddress.take(address);
            if (wait > 0) {
                byUser.giveBack(key(user));
            }
        }
        return seconds(wait);
    }

    /** The attempt {@link #begin} counted succeeded: the name's failures are cleared, the address gets its attempt back. */
    public void succeeded(String user, String address) {
        byUser.clear(key(user));
        if (address != null) {
            byAddress.giveBack(address);
        }
    }

    /** Whole seconds, rounded up and at least 1, or empty for no wait. */
    static OptionalLong seconds(long waitNanos) {
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
}
