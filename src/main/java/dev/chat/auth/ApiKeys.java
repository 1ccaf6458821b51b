package dev.chat.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Who calls the server API: {@code Authorization: Bearer <secret>} names one of the configured
 * keys ({@code CHAT_API_KEYS}), from an allowed address ({@code CHAT_API_ALLOWED_ADDRESSES}).
 * Cookies and user tokens never count here. Immutable, thread-safe.
 *
 * <p>Timing says nothing: the presented secret's SHA-256 is compared with every key's digest
 * ({@link MessageDigest#isEqual}, equal lengths), all of them each time, so neither how much of a
 * guess was right nor which key matched shows in the time taken.
 */
public final class ApiKeys {
    private record Key(String name, byte[] digest) { }

    private final List<Key> keys;
    /** The allowed addresses as ranges, or null when any address is allowed. */
    private final ClientAddress allowed;

    /**
     * @param keys      key name to secret
     * @param addresses IP addresses and CIDR ranges allowed to call; empty allows any
     */
    public ApiKeys(Map<String, String> keys, List<String> addresses) {
        List<Key> list = new ArrayList<>();
        keys.forEach((name, secret) -> list.add(new Key(name, sha256(secret))));
        this.keys = List.copyOf(list);
        // ClientAddress's ranges are the one CIDR matcher: "trusted" here means "allowed to call"
        this.allowed = addresses.isEmpty() ? null : ClientAddress.trusting(addresses);
    }

    /** Whether any key is configured: without one the server API does not exist. */
    public boolean enabled() {
        return !keys.isEmpty();
    }

    /** The name of the key that {@code authorization} presents as a Bearer secret, or null for none. */
    public String keyOf(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        byte[] presented = sha256(authorization.substring(7).trim());
        String match = null;
        for (Key k : keys) {
            if (MessageDigest.isEqual(k.digest(), presented)) {
                match = k.name(); // no early exit: every key is compared
            }
        }
        return match;
    }

    /** Whether {@code clientAddress} (after the trusted proxies) may call; null (unknown) only when any may. */
    public boolean allows(String clientAddress) {
        return allowed == null || clientAddress != null && allowed.trusted(clientAddress);
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
