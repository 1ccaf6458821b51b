package dev.chat.auth;

/** A token that does not authenticate anyone; {@link #expired()} tells a stale token from a bad one. */
public final class TokenRejectedException extends Exception {
    private final boolean expired;

    public TokenRejectedException(String reason, boolean expired) {
        super(reason, null, false, false);
        this.expired = expired;
    }

    public boolean expired() {
        return expired;
    }
}
