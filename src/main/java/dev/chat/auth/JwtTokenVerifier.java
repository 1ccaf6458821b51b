package dev.chat.auth;

import dev.chat.log.LogSampler;
import dev.chat.log.LogText;
import dev.chat.protocol.ProtocolCodec;
import dev.chat.protocol.UserName;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.lang.System.Logger.Level;
import java.security.Key;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Checks the tokens presented at the WebSocket handshake and in {@code refresh} frames. Two kinds
 * are accepted, told apart by their algorithm before any signature is looked at:
 *
 * <ul>
 *   <li>HS256: our own login's tokens, checked with our key only; the subject must be a registered
 *       user and the role is required.</li>
 *   <li>RS256 and ES256, only when an {@link IdentityProvider} is configured: checked with the
 *       provider's published keys only, never with our HMAC key (so a public key used as an HMAC
 *       secret, "algorithm confusion", gets nowhere); {@code iss} and {@code aud} when configured;
 *       the user is the configured claim and need not be registered here; the role defaults to user.</li>
 * </ul>
 *
 * One name, one identity: a provider's user whose name is a local account is refused (the local
 * account's conversations are not theirs), and with local accounts off ({@code CHAT_LOCAL_ACCOUNTS},
 * off by default beside a provider) our own tokens are refused too.
 *
 * <p>An own token naming a session ({@code sid}) is refused once that session has ended (logout,
 * a password change, a reused refresh token): {@link TokenRejectedException#sessionEnded()}.
 *
 * <p>Any other algorithm, {@code none} included, is refused. For both, {@code exp} is required and must
 * not be past, and {@code nbf} must not be ahead, each give or take the leeway. Our own tokens name a
 * local account ({@link UserName#isLocal}) with the role user or admin; a provider's user claim may be
 * any valid name ({@link UserName#problem}: an e-mail, up to 64 printable characters).
 */
public final class JwtTokenVerifier {
    private static final System.Logger LOG = System.getLogger(JwtTokenVerifier.class.getName());
    private static final Set<String> ROLES = Set.of(Principal.ROLE_USER, Principal.ROLE_ADMIN);
    /** Longer than any token we issue or an identity provider would by far; refuses junk before parsing it. */
    private static final int MAX_TOKEN_LENGTH = ProtocolCodec.MAX_TOKEN_LENGTH;

    private final MACVerifier ours;
    private final UserStore users;
    private final Duration leeway;
    /** Null when only our own tokens are accepted. */
    private final IdentityProvider provider;
    private final Clock clock;
    private final boolean localAccounts;
    private final LogSampler.Kind providerDown;
    private final Predicate<String> sessionActive;

    public JwtTokenVerifier(byte[] secret, UserStore users, Clock clock) {
        this(secret, users, Duration.ofSeconds(30), null, clock);
    }

    /** Local accounts on only without a provider: {@code CHAT_LOCAL_ACCOUNTS}'s default. */
    public JwtTokenVerifier(byte[] secret, UserStore users, Duration leeway, IdentityProvider provider, Clock clock) {
        this(secret, users, leeway, provider, clock, provider == null, new LogSampler(20, Duration.ofMinutes(1), System::nanoTime));
    }

    public JwtTokenVerifier(byte[] secret, UserStore users, Duration leeway, IdentityProvider provider, Clock clock,
                            boolean localAccounts) {
        this(secret, users, leeway, provider, clock, localAccounts, new LogSampler(20, Duration.ofMinutes(1), System::nanoTime));
    }

    /** Every token's session taken to stand: for verifiers of tokens that name none. */
    public JwtTokenVerifier(byte[] secret, UserStore users, Duration leeway, IdentityProvider provider, Clock clock,
                            boolean localAccounts, LogSampler logs) {
        this(secret, users, leeway, provider, clock, localAccounts, logs, session -> true);
    }

    /** With the default log sampling. */
    public JwtTokenVerifier(byte[] secret, UserStore users, Duration leeway, IdentityProvider provider, Clock clock,
                            boolean localAccounts, Predicate<String> sessionActive) {
        this(secret, users, leeway, provider, clock, localAccounts, new LogSampler(20, Duration.ofMinutes(1), System::nanoTime),
                sessionActive);
    }

    /**
     * @param leeway        tolerated clock difference for {@code exp} and {@code nbf}
     * @param provider      an external identity provider, or null for our own tokens only
     * @param localAccounts whether local accounts (and so our own tokens) are accepted
     * @param logs          samples the line of an unreachable provider, which any forged provider token can cause
     * @param sessionActive whether the session an own token names ({@code sid}) still stands
     *                      ({@link Sessions#active}); a token of an ended session is refused
     */
    public JwtTokenVerifier(byte[] secret, UserStore users, Duration leeway, IdentityProvider provider, Clock clock,
                            boolean localAccounts, LogSampler logs, Predicate<String> sessionActive) {
        this.localAccounts = localAccounts;
        this.providerDown = logs.kind("identity provider keys unavailable", LOG, Level.WARNING);
        this.sessionActive = sessionActive;
        try {
            this.ours = new MACVerifier(secret);
        } catch (JOSEException e) {
            throw new IllegalArgumentException("HS256 needs a secret of at least 32 bytes", e);
        }
        this.users = users;
        this.leeway = leeway;
        this.provider = provider;
        this.clock = clock;
    }

    /** The clock difference tolerated; an open connection is closed once its token is expired by more. */
    public Duration leeway() {
        return leeway;
    }

    /**
     * Whether the token's user is registered. When the store cannot be reached (Redis down), a
     * token with our valid signature is trusted: we issued it to a user who existed, and refusing
     * it would turn every reconnect during the outage into a logout.
     */
    private boolean exists(String user) {
        try {
            return users.exists(user);
        } catch (UserStoreUnavailableException e) {
            return true;
        }
    }

    public Principal verify(String token) throws TokenRejectedException {
        if (token == null || token.isEmpty() || token.length() > MAX_TOKEN_LENGTH) {
            throw new TokenRejectedException("missing or oversize token", false);
        }
        SignedJWT jwt;
        JWTClaimsSet claims;
        try {
            jwt = SignedJWT.parse(token);
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException | IllegalStateException e) {
            throw new TokenRejectedException("malformed token", false);
        }
        JWSAlgorithm alg = jwt.getHeader().getAlgorithm();
        if (JWSAlgorithm.HS256.equals(alg)) {
            if (!localAccounts) {
                throw new TokenRejectedException("local accounts are off (CHAT_LOCAL_ACCOUNTS): only the identity provider's tokens", false);
            }
            checkSignature(jwt, List.of(), true);
            return ours(claims);
        }
        if (provider != null && IdentityProvider.ALGORITHMS.contains(alg)) {
            List<Key> keys;
            try {
                keys = provider.keysFor(jwt.getHeader());
            } catch (KeySourceException e) {
                if (providerDown.allow()) {
                    LOG.log(Level.WARNING, "identity provider keys unavailable: {0}", LogText.quote(e.getMessage()));
                }
                throw new TokenRejectedException("identity provider keys unavailable", false);
            }
            checkSignature(jwt, keys, false);
            return external(claims);
        }
        // the header's own text: quoted and cut, since the reason is logged
        throw new TokenRejectedException("algorithm not accepted: " + LogText.quote(alg == null ? null : alg.getName()), false);
    }

    /** Our HMAC key for our tokens, else the provider's keys that match the header; one must verify. */
    private void checkSignature(SignedJWT jwt, List<Key> providerKeys, boolean own) throws TokenRejectedException {
        try {
            if (own) {
                if (jwt.verify(ours)) {
                    return;
                }
            } else {
                DefaultJWSVerifierFactory factory = new DefaultJWSVerifierFactory();
                for (Key key : providerKeys) {
                    if (jwt.verify(factory.createJWSVerifier(jwt.getHeader(), key))) {
                        return;
                    }
                }
            }
        } catch (JOSEException | IllegalStateException e) {
            throw new TokenRejectedException("malformed token", false);
        }
        throw new TokenRejectedException("bad signature", false);
    }

    private Principal ours(JWTClaimsSet claims) throws TokenRejectedException {
        Instant exp = checkTimes(claims);
        String user = claims.getSubject();
        if (!UserName.isLocal(user) || !exists(user)) {
            throw new TokenRejectedException("unknown user", false);
        }
        refuseBanned(user);
        Object role = claims.getClaim("role");
        if (!(role instanceof String r) || !ROLES.contains(r)) {
            throw new TokenRejectedException("unknown role", false);
        }
        Object sid = claims.getClaim("sid");
        if (sid != null && (!(sid instanceof String s) || s.isEmpty() || s.length() > 64 || !sessionActive.test(s))) {
            throw new TokenRejectedException("session ended", false, true);
        }
        return new Principal(user, r, exp, (String) sid);
    }

    private Principal external(JWTClaimsSet claims) throws TokenRejectedException {
        Instant exp = checkTimes(claims);
        if (provider.issuer() != null && !provider.issuer().equals(claims.getIssuer())) {
            throw new TokenRejectedException("wrong issuer", false);
        }
        if (provider.audience() != null
                && (claims.getAudience() == null || !claims.getAudience().contains(provider.audience()))) {
            throw new TokenRejectedException("wrong audience", false);
        }
        Object user = claims.getClaim(provider.userClaim());
        if (!(user instanceof String u)) {
            throw new TokenRejectedException("user claim " + provider.userClaim() + " missing or not a valid user name", false);
        }
        String problem = UserName.problem(u);
        if (problem != null) {
            // the reason names the offending code point, never the name itself (it is logged)
            throw new TokenRejectedException("user claim " + provider.userClaim() + " missing or not a valid user name: it " + problem, false);
        }
        if (u.startsWith(UserName.BOT_PREFIX)) {
            // the server API's bots are "bot:<name>": a user so named would read what bots write to others
            throw new TokenRejectedException("user claim " + provider.userClaim() + " starts with " + UserName.BOT_PREFIX
                    + ", which names the server API's bots", false);
        }
        String role = provider.role(claims.getClaims());
        refuseBanned(u);
        try {
            if (users.exists(u)) {
                // the name's conversations are the local account's: the provider's user may not read them
                throw new TokenRejectedException("provider user " + LogText.quote(u)
                        + " refused: the name is a local account (one name, one identity)", false);
            }
            users.providerUserSeen(u); // from now on others can message them, and no local account can take the name
        } catch (UserStoreUnavailableException e) {
            LOG.log(Level.DEBUG, "provider user not recorded while the database is away: {0}", e.getMessage());
        }
        return new Principal(u, role, exp);
    }

    /**
     * A banned user's token is refused as a revoked session (4503 at the handshake, {@code unauthorized}
     * for an in-band refresh). While the database is away a ban cannot be read, and the token is
     * believed, as the user check does: refusing would log everyone out during an outage.
     */
    private void refuseBanned(String user) throws TokenRejectedException {
        if (users.bannedIfReadable(user)) {
            throw new TokenRejectedException("banned", false, true);
        }
    }

    /** {@code exp} required and not past, {@code nbf} not ahead, each give or take the leeway; returns exp. */
    private Instant checkTimes(JWTClaimsSet claims) throws TokenRejectedException {
        Instant now = clock.instant();
        Date exp = claims.getExpirationTime();
        if (exp == null) {
            throw new TokenRejectedException("token without exp", false);
        }
        if (exp.toInstant().plus(leeway).isBefore(now)) {
            throw new TokenRejectedException("token expired", true);
        }
        Date nbf = claims.getNotBeforeTime();
        if (nbf != null && nbf.toInstant().minus(leeway).isAfter(now)) {
            throw new TokenRejectedException("token not valid yet", false);
        }
        return exp.toInstant();
    }
}
