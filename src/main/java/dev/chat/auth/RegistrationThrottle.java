package dev.chat.auth;

import java.time.Duration;
import java.util.OptionalLong;
import java.util.function.LongSupplier;

/**
 * Registrations per remote address in a window (an hour by default): 221 accounts from one address
 * in 20 s once went through, each a password hash that slowed real logins 5x, and free accounts
 * are what the other floods are made of. Every attempt counts, taken names included, since each
 * costs a hash. Behind a reverse proxy every request has the proxy's address: raise the limit there.
 */
public final class RegistrationThrottle {
    private final FixedWindows byAddress;

    public RegistrationThrottle(int maxPerAddress, Duration window, LongSupplier nanoClock) {
        this.byAddress = new FixedWindows(maxPerAddress, window.toNanos(), nanoClock);
    }

    /** Empty when a registration from {@code address} may go on (it is counted); else the seconds until one may. */
    public OptionalLong begin(String address) {
        return address == null ? OptionalLong.empty() : LoginThrottle.seconds(byAddress.take(address));
    }
}
