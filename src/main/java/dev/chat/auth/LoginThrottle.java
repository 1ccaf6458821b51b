package dev.chat.auth;

import java.time.Duration;
import java.util.OptionalLong;
import java.util.function.LongSupplier;

/**
 * Slows password guessing: counts failed logins per (user name, remote address) pair and per
 * remote address in a fixed window that starts at the first failure, and once either count reaches
 * its limit refuses further attempts for that pair or address until the window ends, before any
 * password is hashed (so a refused attempt costs the node nothing). An attempt counts as a failure
 * from its start until it succeeds; a successful login clears its pair's count.
 *
 * <p>Why pairs and not names: a lock per name lets anyone lock any user out from anywhere, and a
 * small lock per address let 13 guesses at random names lock out everyone behind the same proxy.
 * So a name is locked only for the address that guessed it, and an address has a larger budget of
 * its own (spread over all names) that bounds how fast one address can guess at all. Guessing one
 * name from many addresses gets the pair limit per address; the 600 000-round hash and a provider
 * ({@code CHAT_JWT_JWKS_URL}) are the answer to that, not a lock anyone could trigger.
 *
 * <p>Memory is bounded ({@link FixedWindows}: at most {@link #MAX_ENTRIES} keys per table); filling a
 * table takes tens of thousands of addresses, since one address stops counting new names after its
 * own limit.
 *
 * <p>Per node: behind a round-robin balancer a cluster of N nodes allows up to N times the attempts.
 */
public final class LoginThrottle {
    static final int MAX_ENTRIES = FixedWindows.MAX_ENTRIES;

    private final FixedWindows byPair;
    private final FixedWindows byAddress;

    /**
     * @param maxPerPair    failures of one name from one address (CHAT_LOGIN_MAX_FAILURES_PER_USER)
     * @param maxPerAddress failures from one address over all names (CHAT_LOGIN_MAX_FAILURES_PER_ADDRESS)
     * @param nanoClock     monotonic nanoseconds ({@code System::nanoTime}; a settable one in tests)
     */
    public LoginThrottle(int maxPerPair, int maxPerAddress, Duration window, LongSupplier nanoClock) {
        this.byPair = new FixedWindows(maxPerPair, window.toNanos(), nanoClock);
        this.byAddress = new FixedWindows(maxPerAddress, window.toNanos(), nanoClock);
    }

    /**
     * Empty when a login for {@code user} from {@code address} may be tried now; otherwise the
     * seconds (at least 1) until it may. Read only: {@link #begin} is what a login calls.
     */
    public OptionalLong retryAfterSeconds(String user, String address) {
        return seconds(Math.max(byPair.blockedFor(key(user, address)), address == null ? 0 : byAddress.blockedFor(address)));
    }

    /**
     * Starts a login attempt: empty when it may go on, counted as a failure already (so attempts
     * racing each other cannot all pass the check while the first is still hashing: 8 got through
     * where 5 were allowed); otherwise the seconds until one may, and nothing is counted. A null
     * address (unknown to the runtime) is limited by name alone. An attempt that fails needs no
     * further call; one that succeeds calls {@link #succeeded}.
     */
    public OptionalLong begin(String user, String address) {
        String pair = key(user, address);
        long wait = byPair.take(pair);
        if (wait <= 0 && address != null) {
            wait = byAddress.take(address);
            if (wait > 0) {
                byPair.giveBack(pair);
            }
        }
        return seconds(wait);
    }

    /** The attempt {@link #begin} counted succeeded: the pair's failures are cleared, the address gets its attempt back. */
    public void succeeded(String user, String address) {
        byPair.clear(key(user, address));
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
        return byPair.size() + byAddress.size();
    }

    /**
     * The pair's key. Names longer than any valid one are cut: they cannot log in anyway, and must
     * not bloat the table. A newline cannot be in an address, so it separates the two unambiguously.
     */
    private static String key(String user, String address) {
        String name = user == null ? "" : user.length() > 64 ? user.substring(0, 64) : user;
        return address == null ? name : name + "\n" + address;
    }
}
