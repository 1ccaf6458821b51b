package dev.chat.auth;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Salted, slow password hashes: PBKDF2-HMAC-SHA256 from the JDK (no extra dependency), encoded as
 * {@code pbkdf2-sha256$iterations$salt$hash} so the work factor can grow without a migration.
 */
public final class PasswordHasher {
    /** OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256. */
    public static final int DEFAULT_ITERATIONS = 600_000;
    /** A stored count above this is corrupt or hostile, not a stronger hash. */
    private static final int MAX_ITERATIONS = 10_000_000;
    private static final String ALGORITHM = "PBKDF2WithHmacSHA256";
    private static final String PREFIX = "pbkdf2-sha256";
    private static final int SALT_BYTES = 16;
    private static final int HASH_BITS = 256;

    private final int iterations;
    private final SecureRandom random = new SecureRandom();
    /** Compared against when the user does not exist, so both answers take the same time. */
    private final String decoy;

    public PasswordHasher(int iterations) {
        this.iterations = iterations;
        this.decoy = hash("decoy-password-for-unknown-users");
    }

    public String hash(String password) {
        byte[] salt = new byte[SALT_BYTES];
        random.nextBytes(salt);
        byte[] hash = derive(password, salt, iterations);
        Base64.Encoder b64 = Base64.getEncoder().withoutPadding();
        return PREFIX + "$" + iterations + "$" + b64.encodeToString(salt) + "$" + b64.encodeToString(hash);
    }

    /** Constant-time check; a null or unreadable stored hash burns the same time and fails. */
    public boolean verify(String password, String stored) {
        if (stored != null) {
            try {
                String[] parts = stored.split("\\$");
                int storedIterations = parts.length == 4 && parts[0].equals(PREFIX) ? Integer.parseInt(parts[1]) : -1;
                if (storedIterations > 0 && storedIterations <= MAX_ITERATIONS) {
                    Base64.Decoder b64 = Base64.getDecoder();
                    byte[] expected = b64.decode(parts[3]);
                    return MessageDigest.isEqual(expected, derive(password, b64.decode(parts[2]), storedIterations));
                }
            } catch (IllegalArgumentException e) {
                // unreadable: fall through to the decoy, so the answer takes the usual time
            }
        }
        verify(password, decoy);
        return false;
    }

    private static byte[] derive(String password, byte[] salt, int iterations) {
        PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, iterations, HASH_BITS);
        try {
            return SecretKeyFactory.getInstance(ALGORITHM).generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(ALGORITHM + " is part of every Java 17 runtime", e);
        } finally {
            spec.clearPassword();
        }
    }
}
