package dev.chat.store;

/**
 * The database cannot be reached (or is refusing work): nothing was read, and a write may or may
 * not have been committed (a connection lost during COMMIT cannot tell), so a resend must be safe.
 */
public final class StoreUnavailableException extends RuntimeException {
    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
