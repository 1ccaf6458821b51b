package dev.chat.auth;

import dev.chat.protocol.UserName;
import java.util.Optional;

/** Registration and login: validates names and passwords, hashes, and issues tokens. */
public final class Accounts {
    public static final int MIN_PASSWORD = 8;
    /** Hashing is deliberately slow; an unbounded password would make it a lever for denial of service. */
    public static final int MAX_PASSWORD = 1024;

    /** The outcomes of a registration, each answered with its own HTTP status. */
    public enum Registration { CREATED, TAKEN, INVALID_NAME, INVALID_PASSWORD, CLOSED }

    private final UserStore users;
    private final PasswordHasher hasher;
    private final JwtTokenIssuer issuer;
    private final boolean registrationOpen;

    public Accounts(UserStore users, PasswordHasher hasher, JwtTokenIssuer issuer, boolean registrationOpen) {
        this.users = users;
        this.hasher = hasher;
        this.issuer = issuer;
        this.registrationOpen = registrationOpen;
    }

    public Registration register(String username, String password) {
        if (!registrationOpen) {
            return Registration.CLOSED;
        }
        if (!UserName.isLocal(username)) { // stricter than a provider's names: see UserName
            return Registration.INVALID_NAME;
        }
        if (password == null || password.length() < MIN_PASSWORD || password.length() > MAX_PASSWORD) {
            return Registration.INVALID_PASSWORD;
        }
        if (users.exists(username)) {
            return Registration.TAKEN; // cheap answer before the slow hash; create() re-checks atomically
        }
        return users.create(username, hasher.hash(password)) ? Registration.CREATED : Registration.TAKEN;
    }

    /** A token for the right password; empty for a wrong password and an unknown user alike, in the same time. */
    public Optional<JwtTokenIssuer.IssuedToken> login(String username, String password) {
        return authenticate(username, password) ? Optional.of(issuer.issue(username, Principal.ROLE_USER)) : Optional.empty();
    }

    /** Whether the password is the user's; false for a wrong password and an unknown user alike, in the same time. */
    public boolean authenticate(String username, String password) {
        if (username == null || password == null || password.length() > MAX_PASSWORD) {
            return false;
        }
        String stored = UserName.isLocal(username) ? users.passwordHash(username).orElse(null) : null;
        return hasher.verify(password, stored);
    }

    /** Whether a backend banned the user (the server API): then no login and no refresh, even with the right password. */
    public boolean banned(String username) {
        return users.banned(username);
    }

    /** {@link #banned}, or false while the store cannot be read (see {@link UserStore#bannedIfReadable}). */
    public boolean bannedIfReadable(String username) {
        return users.bannedIfReadable(username);
    }

    /** The outcomes of a password change. */
    public enum PasswordChange { CHANGED, WRONG_PASSWORD, INVALID_PASSWORD }

    /** Sets a new password when {@code current} is the user's; the new one must pass the registration rule. */
    public PasswordChange changePassword(String username, String current, String newPassword) {
        if (newPassword == null || newPassword.length() < MIN_PASSWORD || newPassword.length() > MAX_PASSWORD) {
            return PasswordChange.INVALID_PASSWORD;
        }
        if (!authenticate(username, current)) {
            return PasswordChange.WRONG_PASSWORD;
        }
        return users.setPasswordHash(username, hasher.hash(newPassword)) ? PasswordChange.CHANGED : PasswordChange.WRONG_PASSWORD;
    }
}
