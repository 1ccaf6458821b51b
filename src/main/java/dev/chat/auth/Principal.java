package dev.chat.auth;

import java.time.Instant;

/**
 * Who a verified token speaks for, and until when; {@code session} is the id of the local session
 * the token belongs to ({@code sid}), null for a provider's token or one of no session.
 */
public record Principal(String user, String role, Instant expiresAt, String session) {
    public static final String ROLE_USER = "user";
    public static final String ROLE_ADMIN = "admin";

    public Principal(String user, String role, Instant expiresAt) {
        this(user, role, expiresAt, null);
    }
}
