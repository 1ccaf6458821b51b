package dev.chat.auth;

import java.time.Instant;

/** Who a verified token speaks for, and until when. */
public record Principal(String user, String role, Instant expiresAt) {
    public static final String ROLE_USER = "user";
    public static final String ROLE_ADMIN = "admin";
}
