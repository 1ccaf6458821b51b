package dev.chat.auth;

/**
 * A token that does not authenticate anyone; {@link #expired()} tells a stale token from a bad one,
 * {@link #sessionEnded()} a valid token of a session that has ended (closed 4503).
 */
public final class TokenRejectedException extends Exception {
    private final boolean expired;
    private final boolean sessionEnded;

    public TokenRejectedException(String reason, boolean expired) {
        this(reason, expired, false);
    }

    public TokenRejectedException(String reason, boolean expired, boolean sessionEnded) {
        super(reason, null, false, false);
        this.expired = expired;
        this.sessionEnded = sessionEnded;
    }

    public boolean expired() {
        return expired;
    }

    public boolean sessionEnded() {
        return sessionEnded;
    }
}
