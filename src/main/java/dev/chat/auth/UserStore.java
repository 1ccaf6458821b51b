package dev.chat.auth;

import java.util.Optional;

/**
 * Where registered users live: a file on a single node ({@link FileUserStore}); Redis when
 * clustered. Implementations are thread-safe.
 */
public interface UserStore {

    /** Stores a new user; false when the name is taken. */
    boolean create(String username, String passwordHash);

    /** The stored password hash of a user, if the user exists. */
    Optional<String> passwordHash(String username);

    default boolean exists(String username) {
        return passwordHash(username).isPresent();
    }
}
