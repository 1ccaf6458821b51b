package dev.chat.auth;

import dev.chat.log.LogText;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The sessions of local accounts: a login starts one, with a refresh token (256 random bits, stored
 * only as its SHA-256 in the {@link SessionStore}) that is rotated on every use; presenting a token
 * that was rotated out revokes the whole session (RFC 9700 §4.14.2: either the thief or the user
 * presents it, and the server cannot tell which). The access tokens of a session carry its id as
 * {@code sid}; {@link #active} says, cheaply, whether that session still stands.
 *
 * <p>{@link #active} remembers a session seen active for {@link #ACTIVE_FOR} and one seen ended for
 * good. A revocation here forgets it at once, and {@link Ended} reaches the other nodes (through the
 * bus, wired by the composition root), whose {@link #forget} does the same; a node that missed the
 * event believes a revoked session for at most {@code ACTIVE_FOR} at its handshakes and {@code refresh}
 * frames, and checks its open connections again when the bus comes back.
 */
public final class Sessions {
    private static final System.Logger LOG = System.getLogger(Sessions.class.getName());
    /** How long a session seen active is believed without asking the database again. */
    public static final Duration ACTIVE_FOR = Duration.ofSeconds(5);
    private static final int MAX_REMEMBERED = 100_000;
    /** Expired sessions deleted per login: more than logins start, so the table stays bounded. */
    static final int DELETE_PER_LOGIN = 100;
    private static final int TOKEN_BYTES = 32;
    private static final int ID_BYTES = 16;

    /** Sessions of {@code user} ended: {@code all} for every connection of the user (logout everywhere). */
    public record Ended(String user, List<String> sessions, boolean all) { }

    /** What the composition root does with an {@link Ended}: tell every node. */
    public interface EndedListener {
        void ended(Ended ended);
    }

    /** A login's or a refresh's outcome: an access token, and the refresh token that replaces the presented one. */
    public record Issued(String user, String session, JwtTokenIssuer.IssuedToken access, String refreshToken, long refreshExpiresIn) {
        @Override
        public String toString() {
            return "Issued[user=" + user + ", session=" + session + "]"; // never the tokens
        }
    }

    private final SessionStore store;
    private final JwtTokenIssuer issuer;
    private final Duration ttl;
    private final Clock clock;
    private final LongSupplier nanos;
    private final EndedListener ended;
    private final SecureRandom random = new SecureRandom();
    /** Session ids seen active, to the nanos until which that is believed. */
    private final Map<String, Long> activeUntil = new ConcurrentHashMap<>();
    /** Session ids seen ended: revoked or expired, which is for good. */
    private final Map<String, Boolean> endedIds = new ConcurrentHashMap<>();

    public Sessions(SessionStore store, JwtTokenIssuer issuer, Duration ttl, Clock clock, LongSupplier nanos, EndedListener ended) {
        this.store = store;
        this.issuer = issuer;
        this.ttl = ttl;
        this.clock = clock;
        this.nanos = nanos;
        this.ended = ended;
    }

    /** How long a session lasts from its login. */
    public Duration ttl() {
        return ttl;
    }

    /** Starts a session for a user who just proved their password; also deletes some expired sessions. */
    public Issued start(String user) {
        long now = clock.millis();
        store.deleteExpired(now, DELETE_PER_LOGIN);
        String id = random(ID_BYTES);
        String refresh = random(TOKEN_BYTES);
        long expiresAt = now + ttl.toMillis();
        store.create(id, user, hash(refresh), now, expiresAt);
        return issued(user, id, refresh, expiresAt, now);
    }

    /** The outcome of {@link #refresh}. */
    public sealed interface Refresh {
        record Refreshed(Issued issued) implements Refresh { }

        /** Unknown, expired or revoked (answered 401); {@code reused} when it revoked the session just now. */
        record Refused(String reason, boolean reused) implements Refresh { }
    }

    /** Rotates a refresh token: a new access token and refresh token, or refused (and a reuse revokes the session). */
    public Refresh refresh(String refreshToken) {
        long now = clock.millis();
        Optional<SessionStore.Found> found = lookUp(refreshToken);
        if (found.isEmpty()) {
            return new Refresh.Refused("unknown refresh token", false);
        }
        SessionStore.Session s = found.get().session();
        if (s.revoked() || s.expiresAt() <= now) {
            return new Refresh.Refused("session ended", false);
        }
        if (!found.get().current()) {
            revokeReused(s, now);
            return new Refresh.Refused("refresh token reused", true);
        }
        String next = random(TOKEN_BYTES);
        if (!store.rotate(s.id(), s.generation(), hash(next), now)) {
            // another request rotated this same token first: the token was used twice
            revokeReused(s, now);
            return new Refresh.Refused("refresh token reused", true);
        }
        return new Refresh.Refreshed(issued(s.user(), s.id(), next, s.expiresAt(), now));
    }

    /**
     * The active session a refresh token is the current token of, without rotating it; empty when
     * it is not one (a rotated-out token revokes its session, as in {@link #refresh}).
     */
    public Optional<SessionStore.Session> sessionOf(String refreshToken) {
        long now = clock.millis();
        Optional<SessionStore.Found> found = lookUp(refreshToken);
        if (found.isEmpty() || found.get().session().revoked() || found.get().session().expiresAt() <= now) {
            return Optional.empty();
        }
        if (!found.get().current()) {
            revokeReused(found.get().session(), now);
            return Optional.empty();
        }
        return Optional.of(found.get().session());
    }

    /** Ends one session of {@code user} (its connections are closed); false when it had ended already. */
    public boolean end(String user, String session) {
        boolean revoked = store.revoke(session, clock.millis());
        forget(List.of(session));
        if (revoked) {
            ended.ended(new Ended(user, List.of(session), false));
        }
        return revoked;
    }

    /**
     * Ends the user's sessions but {@code except} (may be null); returns how many ended. Their
     * connections are closed, and with {@code closeAll} (logout everywhere) every connection of the
     * user, whatever its token.
     */
    public int endAll(String user, String except, boolean closeAll) {
        List<String> ids = store.revokeAll(user, except, clock.millis());
        forget(ids);
        if (closeAll || !ids.isEmpty()) {
            ended.ended(new Ended(user, ids, closeAll));
        }
        return ids.size();
    }

    /**
     * Whether the session still stands: cheap for a session seen within {@link #ACTIVE_FOR} or seen
     * ended. While the database cannot be reached, a session not known to have ended is believed
     * (our signature on its token stands), as the user check at the handshake does.
     */
    public boolean active(String session) {
        if (endedIds.containsKey(session)) {
            return false;
        }
        Long until = activeUntil.get(session);
        long now = nanos.getAsLong();
        if (until != null && now - until < 0) {
            return true;
        }
        boolean active;
        try {
            active = store.active(session, clock.millis());
        } catch (UserStoreUnavailableException e) {
            LOG.log(Level.DEBUG, "session believed active while the database is away: {0}", e.getMessage());
            return true;
        }
        if (active) {
            bounded(activeUntil).put(session, now + ACTIVE_FOR.toNanos());
        } else {
            activeUntil.remove(session);
            bounded(endedIds).put(session, Boolean.TRUE);
        }
        return active;
    }

    /** Sessions ended (here or on another node): from now on {@link #active} asks the database. */
    public void forget(List<String> sessions) {
        for (String s : sessions) {
            activeUntil.remove(s);
        }
    }

    private void revokeReused(SessionStore.Session s, long now) {
        LOG.log(Level.WARNING, "a rotated-out refresh token of user {0} was presented: session {1} revoked", LogText.name(s.user()), s.id());
        if (store.revoke(s.id(), now)) {
            forget(List.of(s.id()));
            ended.ended(new Ended(s.user(), List.of(s.id()), false));
        }
    }

    private Optional<SessionStore.Found> lookUp(String refreshToken) {
        if (refreshToken == null || refreshToken.isEmpty() || refreshToken.length() > 256) {
            return Optional.empty();
        }
        return store.find(hash(refreshToken));
    }

    private Issued issued(String user, String id, String refresh, long expiresAt, long now) {
        return new Issued(user, id, issuer.issue(user, Principal.ROLE_USER, id), refresh, Math.max(0, (expiresAt - now) / 1000));
    }

    private static <V> Map<String, V> bounded(Map<String, V> map) {
        if (map.size() >= MAX_REMEMBERED) {
            map.clear(); // it only saves lookups
        }
        return map;
    }

    private String random(int bytes) {
        byte[] b = new byte[bytes];
        random.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** The SHA-256 of a token, in hex: what the store keeps (a token of 256 random bits needs no salt or stretching). */
    static String hash(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing", e);
        }
    }
}
