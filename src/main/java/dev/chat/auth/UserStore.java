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

    /** Replaces a local user's password hash; false when there is no such local user. */
    default boolean setPasswordHash(String username, String passwordHash) {
        throw new UnsupportedOperationException("this user store is read only");
    }

    /** The stored password hash of a user, if the user exists. */
    Optional<String> passwordHash(String username);

    /** Whether a local user of that name is registered (and so may log in). */
    default boolean exists(String username) {
        return passwordHash(username).isPresent();
    }

    /**
     * Whether anyone has that name here: a local user, or an identity provider's user seen by
     * {@link #providerUserSeen}. Messages and invitations go only to known names.
     */
    default boolean known(String username) {
        return exists(username);
    }

    /** A user of the identity provider connected: from now on the name is known (and no local account can take it). */
    default void providerUserSeen(String username) {
    }

    /** Whether a backend banned the name (the server API): no login, refresh, connection or direct message. */
    default boolean banned(String username) {
        return false;
    }

    /**
     * {@link #banned}, or false while the store cannot be read: where refusing would log everyone
     * out during an outage (a handshake, a refresh, a re-check), a ban that cannot be read is not enforced.
     */
    default boolean bannedIfReadable(String username) {
        try {
            return banned(username);
        } catch (UserStoreUnavailableException e) {
            return false;
        }
    }

    /** Bans the name ({@code by}: the API key's name) or lifts the ban; true when that changed anything. */
    default boolean setBanned(String username, boolean banned, String by) {
        throw new UnsupportedOperationException("this user store is read only");
    }
}
