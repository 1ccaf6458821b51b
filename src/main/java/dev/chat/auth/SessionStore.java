package dev.chat.auth;

import java.util.List;
import java.util.Optional;

/**
 * Where the sessions of local accounts live: one row per login, and the hash of every refresh token
 * each one was given (never a token itself). The store of record's implementation is
 * {@code dev.chat.store.JdbcSessionStore}. Times are epoch milliseconds. Implementations are
 * thread-safe and throw {@link UserStoreUnavailableException} when the database cannot be reached.
 */
public interface SessionStore {

    /** A session: its id (the access tokens' {@code sid}), user, current token generation and end. */
    record Session(String id, String user, long generation, long expiresAt, boolean revoked) { }

    /** A presented refresh token's session, and which of its generations the token was. */
    record Found(Session session, long tokenGeneration) {
        /** The token is the session's current one (else it was rotated out: a reuse). */
        public boolean current() {
            return tokenGeneration == session.generation();
        }
    }

    /** Starts a session whose first refresh token (generation 0) has {@code tokenHash}. */
    void create(String id, String user, String tokenHash, long now, long expiresAt);

    /** The session a refresh token (by its hash) was issued to, revoked or expired ones included. */
    Optional<Found> find(String tokenHash);

    /**
     * Replaces the session's current token (generation {@code generation}) by the one of
     * {@code newHash}, at generation + 1; false when the session moved on meanwhile (another rotation
     * won), was revoked or has expired.
     */
    boolean rotate(String id, long generation, String newHash, long now);

    /** Whether the session exists, is not revoked and has not expired at {@code now}. */
    boolean active(String id, long now);

    /** Revokes one session; false when it was revoked, expired or unknown already. */
    boolean revoke(String id, long now);

    /** Revokes every active session of {@code user} but {@code except} (may be null); returns the ids revoked. */
    List<String> revokeAll(String user, String except, long now);

    /** Deletes sessions expired before {@code now} with their token hashes, at most {@code max}; returns how many. */
    int deleteExpired(long now, int max);
}
