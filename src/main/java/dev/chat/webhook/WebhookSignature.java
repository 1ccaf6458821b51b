package dev.chat.webhook;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * {@code X-Chat-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">}, keyed by
 * {@code CHAT_WEBHOOK_SECRET}: the receiver recomputes it over the raw body it got, compares in
 * constant time, and refuses a {@code t} far from its clock (a replay). The time is inside what is
 * signed, so it cannot be moved; every attempt of a batch is signed anew.
 */
public final class WebhookSignature {
    public static final String HEADER = "X-Chat-Signature";

    private final SecretKeySpec key;

    public WebhookSignature(byte[] secret) {
        this.key = new SecretKeySpec(secret.clone(), "HmacSHA256");
    }

    /** The header's value for {@code body} sent at {@code unixSeconds}. */
    public String sign(long unixSeconds, String body) {
        return "t=" + unixSeconds + ",v1=" + java.util.HexFormat.of().formatHex(mac(unixSeconds + "." + body));
    }

    private byte[] mac(String signed) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac.doFinal(signed.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
