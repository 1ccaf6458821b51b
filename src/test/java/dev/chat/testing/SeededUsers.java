package dev.chat.testing;

import dev.chat.auth.FileUserStore;
import dev.chat.auth.JwtTokenIssuer;
import dev.chat.auth.PasswordHasher;
import dev.chat.auth.Principal;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/**
 * Users written straight into a data directory before the server starts, with tokens signed by the
 * test secret. Registration over HTTP costs two full-strength PBKDF2 runs (about a second here);
 * tests that need dozens of users or several servers seed them this way instead. The server still
 * checks each token's user against the store it loads from this directory.
 */
public final class SeededUsers {
    /** Cheap on purpose: nobody logs in with these passwords, the store only needs a well-formed hash. */
    private static final PasswordHasher CHEAP = new PasswordHasher(1_000);
    private static final JwtTokenIssuer ISSUER = new JwtTokenIssuer(
            TestServer.SECRET.getBytes(StandardCharsets.UTF_8), Duration.ofHours(1), Clock.systemUTC());

    private final Path dataDir;
    private final FileUserStore store;

    private SeededUsers(Path dataDir) {
        this.dataDir = dataDir;
        this.store = new FileUserStore(dataDir);
    }

    /** A fresh data directory holding these users. */
    public static SeededUsers create(String... users) {
        try {
            SeededUsers seeded = new SeededUsers(Files.createTempDirectory("chat-seeded-"));
            for (String user : users) {
                seeded.add(user);
            }
            return seeded;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Adds a user; only servers started after this see it. */
    public SeededUsers add(String user) {
        if (!store.create(user, CHEAP.hash("password-" + user))) {
            throw new IllegalArgumentException("user " + user + " exists already");
        }
        return this;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** A valid user token for {@code user} (signed with {@link TestServer#SECRET}). */
    public static String token(String user) {
        return ISSUER.issue(user, Principal.ROLE_USER).token();
    }

    /** A valid admin token for {@code user}: admins may kick. */
    public static String adminToken(String user) {
        return ISSUER.issue(user, Principal.ROLE_ADMIN).token();
    }
}
