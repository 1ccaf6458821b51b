package dev.chat.config;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Where the chat tells a backend what happened (webhooks): the receiver, the key that signs each
 * batch, and how long a batch the receiver does not take is tried again. A role of its own, not
 * more fields of {@link ChatConfig}'s long list.
 *
 * @param url             {@code CHAT_WEBHOOK_URL}: an {@code http} or {@code https} URL every batch is POSTed to;
 *                        null (the default) turns webhooks off (no events are recorded at all)
 * @param secret          {@code CHAT_WEBHOOK_SECRET}: the HMAC-SHA256 key of {@code X-Chat-Signature}, at least
 *                        {@link #MIN_SECRET_BYTES} bytes; required with a URL; never logged
 * @param retryFor        {@code CHAT_WEBHOOK_RETRY_FOR}: how long an event is tried again after timeouts, 5xx, 408
 *                        and 429 (counted from when it happened); then it is dropped and counted; default 24 h
 * @param timeout         {@code CHAT_WEBHOOK_TIMEOUT}: how long one POST may take (connect and answer) before it
 *                        counts as failed and is tried again; default 10 s
 * @param offlineDebounce {@code CHAT_WEBHOOK_OFFLINE_DEBOUNCE}: how long a user's last connection must stay closed
 *                        before {@code user.offline} (a reload or a reconnect to another node is no news); default 5 s
 */
public record WebhookSettings(URI url, byte[] secret, Duration retryFor, Duration timeout, Duration offlineDebounce) {
    /** The signing key is an HMAC-SHA256 key: as long as its output, so it is never guessed. */
    public static final int MIN_SECRET_BYTES = 32;
    /** A URL refused with its own problem, so the general one is not added too. */
    private static final URI NO_URL = URI.create("http://refused");

    public boolean enabled() {
        return url != null;
    }

    static WebhookSettings read(SettingsReader r) {
        Duration retryFor = r.duration("CHAT_WEBHOOK_RETRY_FOR", Duration.ofHours(24), Duration.ofSeconds(1));
        Duration timeout = r.duration("CHAT_WEBHOOK_TIMEOUT", Duration.ofSeconds(10), Duration.ofMillis(100));
        Duration debounce = r.duration("CHAT_WEBHOOK_OFFLINE_DEBOUNCE", Duration.ofSeconds(5), Duration.ZERO);
        String value = r.raw("CHAT_WEBHOOK_URL");
        String secretValue = r.raw("CHAT_WEBHOOK_SECRET");
        URI url = null;
        if (value != null) {
            try {
                url = new URI(value);
                if (!("http".equals(url.getScheme()) || "https".equals(url.getScheme())) || url.getHost() == null) {
                    url = null;
                } else if (url.getRawUserInfo() != null) {
                    // the HTTP client would not send it (no Basic auth from a URL): every batch would be refused
                    r.problem("CHAT_WEBHOOK_URL must not carry user:password@: put a token in its path or query;"
                            + " every batch is signed with CHAT_WEBHOOK_SECRET");
                    url = NO_URL;
                }
            } catch (java.net.URISyntaxException e) {
                url = null;
            }
            if (url == NO_URL) {
                url = null;
            } else if (url == null) {
                // not echoed: a URL may carry credentials (user:password@ or a token in its query)
                r.problem("CHAT_WEBHOOK_URL is invalid: expected an http:// or https:// URL with a host");
            }
        }
        byte[] secret = secretValue == null ? null : secretValue.getBytes(StandardCharsets.UTF_8);
        if (value != null && secret == null) {
            r.problem("CHAT_WEBHOOK_SECRET must be set when CHAT_WEBHOOK_URL is: every batch is signed with it");
        } else if (secret != null && secret.length < MIN_SECRET_BYTES) {
            r.problem("CHAT_WEBHOOK_SECRET is too short: it must be at least " + MIN_SECRET_BYTES + " bytes");
        } else if (secret != null && value == null) {
            r.problem("CHAT_WEBHOOK_SECRET is set but CHAT_WEBHOOK_URL is not: set both, or neither");
        }
        return new WebhookSettings(url, secret, retryFor, timeout, debounce);
    }

    /** The receiver's scheme, host and port only: its path and query may be credentials (Slack's, Discord's are). */
    @Override
    public String toString() {
        if (url == null) {
            return "(off)";
        }
        String where = url.getScheme() + "://" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort());
        boolean more = url.getRawPath() != null && !url.getRawPath().isEmpty() && !"/".equals(url.getRawPath()) || url.getRawQuery() != null;
        return "url=" + where + (more ? "/****" : "")
                + ", secret=****, retryFor=" + retryFor.toMillis() + "ms, timeout=" + timeout.toMillis()
                + "ms, offlineDebounce=" + offlineDebounce.toMillis() + "ms";
    }
}
