package dev.chat.config;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The server API's settings ({@code api/server/*}, for backends): its keys and where it may be
 * called from. A role of its own, not more fields of {@link ChatConfig}'s long list.
 *
 * @param keys             {@code CHAT_API_KEYS}: key name to secret, in the order given; empty turns the
 *                         server API off (every call 404, as if it did not exist)
 * @param allowedAddresses {@code CHAT_API_ALLOWED_ADDRESSES}: IP addresses and CIDR ranges the API answers
 *                         (the client's address, after {@code CHAT_TRUSTED_PROXIES}); empty allows any
 */
public record ServerApiSettings(Map<String, String> keys, List<String> allowedAddresses) {
    /** An API key's secret is a bearer credential: as long as the JWT key, so never guessed. */
    public static final int MIN_SECRET_BYTES = 32;
    /** A key's name appears in logs and metrics labels: short and plain. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    /** What an {@code Authorization: Bearer} header can carry (RFC 6750's b64token). */
    private static final Pattern SECRET = Pattern.compile("[A-Za-z0-9._~+/-]+=*");

    public ServerApiSettings {
        keys = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(keys));
        allowedAddresses = List.copyOf(allowedAddresses);
    }

    public boolean enabled() {
        return !keys.isEmpty();
    }

    static ServerApiSettings read(SettingsReader r) {
        Map<String, String> keys = new LinkedHashMap<>();
        String value = r.raw("CHAT_API_KEYS");
        if (value != null) {
            Set<String> secrets = new HashSet<>();
            int n = 0;
            for (String entry : value.split(",")) {
                n++;
                String e = entry.trim();
                int colon = e.indexOf(':');
                String name = colon < 0 ? e : e.substring(0, colon);
                String secret = colon < 0 ? "" : e.substring(colon + 1);
                // never echo an entry: its secret is one even when the entry is malformed
                if (colon < 0 || !NAME.matcher(name).matches()) {
                    r.problem("CHAT_API_KEYS entry " + n + " is invalid: expected name:secret with a name matching " + NAME.pattern());
                } else if (secret.getBytes(StandardCharsets.UTF_8).length < MIN_SECRET_BYTES || !SECRET.matcher(secret).matches()) {
                    r.problem("CHAT_API_KEYS key " + name + " is invalid: its secret must be at least " + MIN_SECRET_BYTES
                            + " of A-Z a-z 0-9 - . _ ~ + / (then = padding)");
                } else if (keys.containsKey(name)) {
                    r.problem("CHAT_API_KEYS names key " + name + " twice");
                } else if (!secrets.add(secret)) {
                    r.problem("CHAT_API_KEYS key " + name + " has the secret of another key: a secret names one key");
                } else {
                    keys.put(name, secret);
                }
            }
        }
        String addresses = r.raw("CHAT_API_ALLOWED_ADDRESSES");
        List<String> allowed = addresses == null ? List.of()
                : Arrays.stream(addresses.split(",")).map(String::trim).filter(s -> !s.isEmpty()).distinct().toList();
        if (allowed.stream().anyMatch(a -> !dev.chat.auth.ClientAddress.validEntry(a))) {
            r.problem("CHAT_API_ALLOWED_ADDRESSES", addresses, "a comma-separated list of IP addresses and CIDR ranges"
                    + " (10.0.0.5, 10.0.0.0/8, ::1, fd00::/8), or empty");
        }
        return new ServerApiSettings(keys, allowed);
    }

    /** Names only: the secrets never reach a log. */
    @Override
    public String toString() {
        return "keys=" + (keys.isEmpty() ? "(none: server API off)" : String.join(",", keys.keySet()) + " (secrets ****)")
                + ", allowedAddresses=" + (allowedAddresses.isEmpty() ? "(any)" : allowedAddresses);
    }
}
