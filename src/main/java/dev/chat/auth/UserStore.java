package dev.chat.auth;

import java.util.Optional;

/**
 * Where registered users live: the store of record ({@code dev.chat.store.JdbcUserStore}), or
 * the {@code users.json} of earlier versions ({@link FileUserStore}), which the store imports at start.
 * Implementations are thread-safe.
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
