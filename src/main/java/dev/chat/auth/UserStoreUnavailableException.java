package dev.chat.auth;

/** The user store cannot be reached (the database is down): login and register answer 503, not 401. */
public final class UserStoreUnavailableException extends RuntimeException {
    public UserStoreUnavailableException(Throwable cause) {
        super("user store unavailable", cause);
    }
}
