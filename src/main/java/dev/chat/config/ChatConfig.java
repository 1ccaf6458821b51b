package dev.chat.config;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Every setting of a node, immutable, read once at start from the environment ({@code CHAT_PORT})
 * or the same name as a system property ({@code -Dchat.port}, which wins). {@link #load} checks all
 * of them and reports every problem at once. The README's configuration table lists the same
 * names, defaults and units.
 *
 * @param host                  embedded server only: address to bind; default 127.0.0.1 (dev safe)
 * @param port                  embedded server only: TCP port; 0 picks a free one; default 8080
 * @param httpTimeout           how long a request may take to send its body (jar and WAR); in the jar also how long a
 *                              new connection may take to send its first request's headers; default 10 s
 * @param httpKeepAlive         embedded server only: how long an HTTP connection may wait, after an answer, for its
 *                              next request's headers; default 30 s. Neither applies to an upgraded WebSocket
 * @param jwtSecret             HS256 key (UTF-8, at least 32 bytes); null means "generate one per start"
 * @param tokenTtl              lifetime of the access tokens that login and refresh issue; default 15 min
 * @param sessionTtl            lifetime of a local account's session (its refresh tokens), from its login; default 30 days
 * @param jwtJwksUrl            JWKS of an external identity provider whose RS256/ES256 tokens are accepted
 *                              besides our own HS256 ones; null (the default) means only our own
 * @param jwtIssuer             the {@code iss} an identity provider's token must carry; default {@code oidcIssuer},
 *                              and without it null, not checked
 * @param jwtAudience           a value the {@code aud} of an identity provider's token must contain; null means not checked
 * @param jwtUserClaim          the claim of an identity provider's token that names the user; default {@code sub}
 * @param jwtRolesClaim         the claim (or dot path) of a provider's token holding the user's roles, a string
 *                              or an array; default {@code role}
 * @param adminRoles            the role values that make a provider's user an admin; default {@code admin}
 * @param jwtLeeway             tolerated clock difference for {@code exp} and {@code nbf}, at the handshake and on
 *                              open connections; default 30 s, at most 10 min
 * @param allowedOrigins        origins allowed to open WebSockets; empty means same origin only,
 *                              {@code ["*"]} means any (only when set explicitly)
 * @param dataDir               where a single node persists registered users; default ./data
 * @param registration          whether POST /api/register is open; default true
 * @param oidcIssuer            an OpenID Connect provider (its issuer URL) whose sign-in the page offers; its
 *                              discovery document names the JWKS (unless {@code jwtJwksUrl}) and the endpoints the
 *                              page uses; null (the default) means no sign-in through a provider in the page
 * @param oidcClientId          the public client the page signs in as at {@code oidcIssuer}; required with it
 * @param oidcName              the provider's name on the page's button ("Sign in with Keycloak"); default the
 *                              issuer's host
 * @param localAccounts         whether local accounts (register, login, our own tokens) are on; default true
 *                              without an identity provider, false beside one (one name, one identity)
 * @param maxText               characters (code points) per message text; default 4096
 * @param maxFrameBytes         largest inbound text frame, refused before it is buffered; default 64 KiB
 * @param outboxMaxMessages     frames queued for one connection before it is a slow consumer; default 1000
 * @param outboxMaxBytes        bytes queued for one connection before it is a slow consumer; default 1 MiB
 * @param pingInterval          how often the server pings each connection; default 25 s
 * @param idleTimeout           silence after which a connection is closed; default 60 s, must exceed pingInterval
 * @param maxRoomsPerUser       rooms one user may be a member of ({@code CHAT_MAX_ROOMS_PER_USER}); default 500.
 *                              A connection is in every room of its user, so the old
 *                              {@code CHAT_MAX_ROOMS_PER_CONNECTION}, when set, lowers it
 * @param maxRoomMembers        connections one room may hold on this node; default 10000
 * @param maxConnections        open connections on this node; default 10000
 * @param maxConnectionsPerUser open connections of one user on this node; default 10
 * @param ratePerSec            inbound frames per second per connection (token bucket refill); default 20
 * @param rateBurst             token bucket size; default 40
 * @param shutdownGrace         how long a stop may take to flush and close; default 10 s
 * @param redisUrl              Redis for clustering, e.g. redis://127.0.0.1:6379/0; null means a single node in memory
 * @param nodeId                this node's name in the cluster; default random
 * @param redisPrefix           prefix of every Redis key and channel; default "chat:"
 * @param presenceTtl           how long a node's presence entries live unless it refreshes them; default 60 s
 * @param dbUrl                 JDBC URL of the store of record ({@code jdbc:postgresql://host:5432/chat}); null means
 *                              the embedded SQLite file {@code dataDir/chat.db} (unless {@code dbJndi})
 * @param dbUser                database user for {@code dbUrl}; null means none
 * @param dbPassword            database password for {@code dbUrl} (a secret: never logged); null means none
 * @param dbJndi                JNDI name of a container DataSource ({@code java:jboss/datasources/ChatDS},
 *                              {@code jdbc/chat}); wins over {@code dbUrl}
 * @param dbPoolSize            connections in the pool for {@code dbUrl}; default 10
 * @param logFormat             the jar's log lines: {@code text} (the default: java.util.logging's) or {@code json}
 *                              (one JSON object per line); the WAR logs as its container does
 * @param sqliteSync            SQLite's {@code synchronous} level: {@code full} (the default: every commit is on
 *                              disk before its ack, even across a power cut) or {@code normal} (durable across any
 *                              crash of the process, kill -9 included; a power cut may lose the last commits)
 * @param retention             how long messages are kept; null (the default, {@code forever}) keeps them all
 * @param replayLimit           the longest gap a join with {@code since} replays; a longer one answers
 *                              {@code recovered:false} with the latest {@code historyOnJoin}; default 1000
 * @param historyOnJoin         messages replayed on a join without {@code since}; default 50
 * @param dedupeWindow          how long a send's id is remembered for idempotent resends; default 10 min
 * @param loginMaxFailuresPerUser    failed logins of one user name from one remote address within
 *                                   {@code loginFailureWindow} after which that name's logins from that
 *                                   address answer 429; default 5
 * @param loginMaxFailuresPerAddress failed logins from one remote address, over all names, within the window
 *                                   after which every login from it answers 429; default 100
 * @param loginFailureWindow         how long failed logins count; default 5 min
 * @param registerMaxPerAddress registrations one remote address may attempt per hour; default 20 (raise it
 *                              behind a reverse proxy, whose address all requests share)
 * @param maxOwnedRoomsPerUser  rooms one user may create (and own); default 100
 * @param maxInvitationsPerUser invitations one user may have given that still stand; default 1000
 * @param maxNewDirectsPerDay   direct conversations one user may start in 24 hours; default 200
 * @param roomRatePerSec        messages per second one room takes on one node, whoever sends them; default 100
 * @param slowConsumerGrace     how long a client past its outbox bounds may complete no write before it is
 *                              closed as a slow consumer (one that is reading may fall further behind, to
 *                              four times the bounds); default 10 s
 * @param publicRooms           rooms that exist and are public from the start, so nobody can claim
 *                              them (create one private before anyone used it); default {@code general}
 * @param maxConnectionsPerAddress  connections one client address may hold on this node: in the embedded server
 *                                  every TCP connection of a peer that is not a trusted proxy (HTTP, idle, WebSocket;
 *                                  then 429 and closed), everywhere the open WebSockets of a client address (4006);
 *                                  default 200
 * @param maxHandshakesPerAddressPerSecond WebSocket handshakes one client address may start per second (then
 *                                  4007); default 20
 * @param rfc7239Forwarded      whether the trusted proxies' header is RFC 7239's {@code Forwarded} ({@code CHAT_FORWARDED_HEADER}),
 *                              read instead of {@code X-Forwarded-For} and {@code X-Forwarded-Proto}; never both
 * @param trustedProxies        addresses and CIDR ranges of reverse proxies whose {@code X-Forwarded-For} names
 *                              the client; empty (the default) trusts none, so the peer is always the client
 * @param logSampleLines        lines of one kind that clients can cause at will (a rejected handshake, a failed
 *                              login) logged per {@code logSampleInterval}; the rest are counted and reported in
 *                              one line when the interval ends; default 20
 * @param logSampleInterval     the interval of {@code logSampleLines}; default 1 min
 * @param managementPort        embedded server only: a second port, on {@code host}, that serves {@code /metrics}
 *                              and {@code /health/*} instead of {@code port} (which then answers 404 for them);
 *                              0 picks a free one; null (the default) serves them on {@code port}
 * @param metricsToken          a secret that {@code /metrics} asks for as {@code Authorization: Bearer <token>}
 *                              (else 401); never logged; null (the default) leaves {@code /metrics} open
 * @param serverApi             the server API's keys and allowed addresses ({@code CHAT_API_KEYS}, {@code CHAT_API_ALLOWED_ADDRESSES})
 * @param webhooks              where events are POSTed and how ({@code CHAT_WEBHOOK_*}); off by default
 */
public record ChatConfig(
        String host,
        int port,
        Duration httpTimeout,
        Duration httpKeepAlive,
        byte[] jwtSecret,
        Duration tokenTtl,
        Duration sessionTtl,
        java.net.URI jwtJwksUrl,
        String jwtIssuer,
        String jwtAudience,
        String jwtUserClaim,
        String jwtRolesClaim,
        List<String> adminRoles,
        Duration jwtLeeway,
        java.net.URI oidcIssuer,
        String oidcClientId,
        String oidcName,
        List<String> allowedOrigins,
        Path dataDir,
        boolean registration,
        boolean localAccounts,
        int maxText,
        int maxFrameBytes,
        int outboxMaxMessages,
        int outboxMaxBytes,
        Duration pingInterval,
        Duration idleTimeout,
        int maxRoomsPerUser,
        int maxRoomMembers,
        int maxConnections,
        int maxConnectionsPerUser,
        int ratePerSec,
        int rateBurst,
        Duration shutdownGrace,
        java.net.URI redisUrl,
        String nodeId,
        String redisPrefix,
        Duration presenceTtl,
        String dbUrl,
        String dbUser,
        String dbPassword,
        String dbJndi,
        int dbPoolSize,
        String sqliteSync,
        String logFormat,
        Duration retention,
        int replayLimit,
        int historyOnJoin,
        Duration dedupeWindow,
        int loginMaxFailuresPerUser,
        int loginMaxFailuresPerAddress,
        Duration loginFailureWindow,
        int registerMaxPerAddress,
        int maxOwnedRoomsPerUser,
        int maxInvitationsPerUser,
        int maxNewDirectsPerDay,
        int roomRatePerSec,
        Duration slowConsumerGrace,
        List<String> publicRooms,
        int maxConnectionsPerAddress,
        int maxHandshakesPerAddressPerSecond,
        List<String> trustedProxies,
        boolean rfc7239Forwarded,
        int logSampleLines,
        Duration logSampleInterval,
        Integer managementPort,
        String metricsToken,
        ServerApiSettings serverApi,
        WebhookSettings webhooks,
        List<String> warnings) {

    /** Settings of earlier versions that no longer do anything, with what replaced them. */
    static final Map<String, String> RETIRED = Map.of(
            "CHAT_HISTORY_SIZE", "the database keeps every message (see CHAT_RETENTION and CHAT_REPLAY_LIMIT)",
            "CHAT_HISTORY_TTL", "the database keeps every message (see CHAT_RETENTION)");

    /** HS256 needs a key at least as long as its output (RFC 7518 §3.2). */
    public static final int MIN_SECRET_BYTES = 32;
    /** Clock skew beyond this is a broken clock, not skew; tolerating it would keep expired tokens alive. */
    public static final Duration MAX_LEEWAY = Duration.ofMinutes(10);
    /** A metrics token shorter than this is guessable by a scraper's neighbour. */
    public static final int MIN_METRICS_TOKEN = 16;

    public ChatConfig {
        allowedOrigins = List.copyOf(allowedOrigins);
        adminRoles = List.copyOf(adminRoles);
        publicRooms = List.copyOf(publicRooms);
        trustedProxies = List.copyOf(trustedProxies);
        warnings = List.copyOf(warnings);
        jwtSecret = jwtSecret == null ? null : jwtSecret.clone();
    }

    /** Builds and validates a config from an environment and system properties (tests). */
    public static ChatConfig load(Map<String, String> env, Properties props) {
        return load(new EnvironmentSettings(env, props));
    }

    /** Builds and validates a config; throws {@link ConfigException} naming every bad setting. */
    public static ChatConfig load(Settings settings) {
        SettingsReader r = new SettingsReader(settings);
        String host = r.string("CHAT_HOST", "127.0.0.1");
        int port = r.integer("CHAT_PORT", 8080, 0, 65535);
        Duration httpTimeout = r.duration("CHAT_HTTP_TIMEOUT", Duration.ofSeconds(10), Duration.ofMillis(100));
        Duration httpKeepAlive = r.duration("CHAT_HTTP_KEEP_ALIVE", Duration.ofSeconds(30), Duration.ofMillis(100));
        byte[] secret = secret(r);
        Duration tokenTtl = r.duration("CHAT_TOKEN_TTL", Duration.ofMinutes(15), Duration.ofSeconds(1));
        Duration sessionTtl = r.duration("CHAT_SESSION_TTL", Duration.ofDays(30), Duration.ofSeconds(1));
        if (sessionTtl.compareTo(tokenTtl) < 0) {
            r.problem("CHAT_SESSION_TTL (" + sessionTtl + ") must be at least CHAT_TOKEN_TTL (" + tokenTtl + ")");
        }
        java.net.URI jwksUrl = jwksUrl(r);
        java.net.URI oidcIssuer = oidcIssuer(r);
        String oidcClientId = r.string("CHAT_OIDC_CLIENT_ID", null);
        if (oidcClientId != null && !oidcClientId.matches("[\\x21-\\x7E]{1,255}")) {
            r.problem("CHAT_OIDC_CLIENT_ID", oidcClientId, "a client id of 1 to 255 printable ASCII characters, no spaces");
        }
        String oidcName = r.string("CHAT_OIDC_NAME", oidcIssuer == null ? null : oidcIssuer.getHost());
        if (oidcName != null && !oidcName.matches("[^\\p{Cntrl}]{1,64}")) {
            r.problem("CHAT_OIDC_NAME", oidcName, "a name of 1 to 64 characters, no control characters");
        }
        if (oidcIssuer != null && oidcClientId == null) {
            r.problem("CHAT_OIDC_ISSUER needs CHAT_OIDC_CLIENT_ID: the public client the page signs in as");
        }
        if (oidcIssuer == null && (oidcClientId != null || r.raw("CHAT_OIDC_NAME") != null)) {
            r.problem("CHAT_OIDC_CLIENT_ID and CHAT_OIDC_NAME apply to a provider in the page only: set CHAT_OIDC_ISSUER too");
        }
        // the provider's tokens carry its issuer: checked unless CHAT_JWT_ISSUER says otherwise
        String jwtIssuer = r.string("CHAT_JWT_ISSUER", oidcIssuer == null ? null : oidcIssuer.toString());
        boolean provider = jwksUrl != null || oidcIssuer != null;
        String jwtAudience = r.string("CHAT_JWT_AUDIENCE", null);
        String userClaim = r.string("CHAT_JWT_USER_CLAIM", "sub");
        if (!userClaim.matches("[A-Za-z0-9_:./-]{1,64}")) {
            r.problem("CHAT_JWT_USER_CLAIM", userClaim, "a claim name of 1 to 64 of A-Z a-z 0-9 _ : . / -");
        }
        String rolesClaim = r.string("CHAT_JWT_ROLES_CLAIM", "role");
        if (!rolesClaim.matches("[A-Za-z0-9_:./-]{1,128}") || rolesClaim.startsWith(".") || rolesClaim.endsWith(".")
                || rolesClaim.contains("..")) {
            r.problem("CHAT_JWT_ROLES_CLAIM", rolesClaim, "a claim name or dot path (realm_access.roles) of A-Z a-z 0-9 _ : . / -");
        }
        List<String> adminRoles = r.raw("CHAT_ADMIN_ROLES") == null ? List.of("admin")
                : Arrays.stream(r.raw("CHAT_ADMIN_ROLES").split(",")).map(String::trim).filter(s -> !s.isEmpty()).distinct().toList();
        Duration leeway = r.duration("CHAT_JWT_LEEWAY", Duration.ofSeconds(30), Duration.ZERO);
        if (leeway.compareTo(MAX_LEEWAY) > 0) {
            r.problem("CHAT_JWT_LEEWAY", r.raw("CHAT_JWT_LEEWAY"), "a duration of at most " + MAX_LEEWAY.toMinutes()
                    + "m: a longer one would keep expired tokens alive");
        }
        if (!provider && (jwtIssuer != null || jwtAudience != null || r.raw("CHAT_JWT_USER_CLAIM") != null
                || r.raw("CHAT_JWT_ROLES_CLAIM") != null || r.raw("CHAT_ADMIN_ROLES") != null)) {
            r.problem("CHAT_JWT_ISSUER, CHAT_JWT_AUDIENCE, CHAT_JWT_USER_CLAIM, CHAT_JWT_ROLES_CLAIM and CHAT_ADMIN_ROLES apply to identity provider"
                    + " tokens only: set CHAT_OIDC_ISSUER or CHAT_JWT_JWKS_URL too");
        }
        List<String> origins = origins(r);
        Path dataDir = Path.of(r.string("CHAT_DATA_DIR", "./data"));
        boolean registration = r.bool("CHAT_REGISTRATION", true);
        int maxText = r.integer("CHAT_MAX_TEXT", 4096, 1, 1 << 20);
        int maxFrame = r.size("CHAT_MAX_FRAME_BYTES", 64 * 1024, 1024, 16 << 20);
        int outboxMessages = r.integer("CHAT_OUTBOX_MAX_MESSAGES", 1000, 1, 1_000_000);
        int outboxBytes = r.size("CHAT_OUTBOX_MAX_BYTES", 1 << 20, 1024, 1 << 30);
        Duration ping = r.duration("CHAT_PING_INTERVAL", Duration.ofSeconds(25), Duration.ofMillis(10));
        Duration idle = r.duration("CHAT_IDLE_TIMEOUT", Duration.ofSeconds(60), Duration.ofMillis(10));
        int roomsPerUser = r.integer("CHAT_MAX_ROOMS_PER_USER", 500, 1, 100_000);
        if (r.present("CHAT_MAX_ROOMS_PER_CONNECTION")) {
            // rooms follow the user now: an operator who bounded a connection's rooms keeps that bound
            roomsPerUser = Math.min(roomsPerUser, r.integer("CHAT_MAX_ROOMS_PER_CONNECTION", roomsPerUser, 1, 100_000));
        }
        int roomMembers = r.integer("CHAT_MAX_ROOM_MEMBERS", 10_000, 1, 10_000_000);
        int connections = r.integer("CHAT_MAX_CONNECTIONS", 10_000, 1, 10_000_000);
        int perUser = r.integer("CHAT_MAX_CONNECTIONS_PER_USER", 10, 1, 100_000);
        int rate = r.integer("CHAT_RATE_PER_SEC", 20, 1, 1_000_000);
        int burst = r.integer("CHAT_RATE_BURST", 40, 1, 1_000_000);
        Duration grace = r.duration("CHAT_SHUTDOWN_GRACE", Duration.ofSeconds(10), Duration.ZERO);
        java.net.URI redis = redisUrl(r);
        String nodeId = r.string("CHAT_NODE_ID", java.util.UUID.randomUUID().toString().substring(0, 8));
        if (!nodeId.matches("[A-Za-z0-9_.-]{1,64}")) {
            r.problem("CHAT_NODE_ID", nodeId, "1 to 64 of A-Z a-z 0-9 _ . -");
        }
        String prefix = r.string("CHAT_REDIS_PREFIX", "chat:");
        Duration presenceTtl = r.duration("CHAT_PRESENCE_TTL", Duration.ofSeconds(60), Duration.ofMillis(300));
        String dbUrl = r.string("CHAT_DB_URL", null);
        if (dbUrl != null && !dbUrl.startsWith("jdbc:postgresql://") && !dbUrl.startsWith("jdbc:sqlite:")) {
            // the URL may hold a password: name the setting, not the value
            r.problem("CHAT_DB_URL is invalid: expected jdbc:postgresql://host:5432/chat (or jdbc:sqlite:/path/chat.db)");
        }
        String dbUser = r.string("CHAT_DB_USER", null);
        String dbPassword = r.raw("CHAT_DB_PASSWORD");
        String dbJndi = r.string("CHAT_DB_JNDI", null);
        if (dbJndi != null && !dbJndi.matches("[A-Za-z0-9_:/.-]{1,200}")) {
            r.problem("CHAT_DB_JNDI", dbJndi, "a JNDI name such as java:jboss/datasources/ChatDS or jdbc/chat");
        }
        int dbPoolSize = r.integer("CHAT_DB_POOL_SIZE", 10, 1, 1000);
        String sqliteSync = r.string("CHAT_SQLITE_SYNC", "full");
        if (!sqliteSync.equals("full") && !sqliteSync.equals("normal")) {
            r.problem("CHAT_SQLITE_SYNC", sqliteSync, "full or normal");
        }
        String logFormat = r.string("CHAT_LOG_FORMAT", "text");
        if (!logFormat.equals("text") && !logFormat.equals("json")) {
            r.problem("CHAT_LOG_FORMAT", logFormat, "text or json");
        }
        Duration retention = retention(r);
        int replayLimit = r.integer("CHAT_REPLAY_LIMIT", 1000, 1, 100_000);
        int historyOnJoin = r.integer("CHAT_HISTORY_ON_JOIN", 50, 0, 10_000);
        Duration dedupeWindow = r.duration("CHAT_DEDUPE_WINDOW", Duration.ofMinutes(10), Duration.ofSeconds(1));
        boolean sqlite = dbJndi == null && (dbUrl == null || dbUrl.startsWith("jdbc:sqlite:"));
        if (redis != null && sqlite) {
            r.problem("CHAT_REDIS_URL needs a database that every node shares: set CHAT_DB_URL to PostgreSQL"
                    + " (jdbc:postgresql://host:5432/chat) or CHAT_DB_JNDI; a SQLite file cannot be shared by nodes");
        }
        String configDir = r.string("CHAT_CONFIG_DIR", null); // read by the jar's JarSettings; checked here with the rest
        if (configDir != null && !java.nio.file.Files.isDirectory(java.nio.file.Path.of(configDir))) {
            r.problem("CHAT_CONFIG_DIR", configDir, "a directory of setting files (one file per setting)");
        }
        List<String> warnings = new java.util.ArrayList<>();
        for (Map.Entry<String, String> retired : new java.util.TreeMap<>(RETIRED).entrySet()) {
            if (r.raw(retired.getKey()) != null) {
                warnings.add(retired.getKey() + " is set but no longer used: " + retired.getValue());
            }
        }
        boolean localAccounts = r.bool("CHAT_LOCAL_ACCOUNTS", !provider);
        if (!localAccounts && !provider) {
            r.problem("CHAT_LOCAL_ACCOUNTS=false needs an identity provider (CHAT_OIDC_ISSUER or CHAT_JWT_JWKS_URL): nobody could sign in");
        }
        if (oidcIssuer != null && jwtAudience == null) {
            warnings.add("CHAT_OIDC_ISSUER without CHAT_JWT_AUDIENCE: any access token the provider issues to any of its clients"
                    + " is accepted as a chat token; give the chat's client an audience and set it (README, Signing in with an identity provider)");
        }
        if (localAccounts && provider) {
            warnings.add("CHAT_LOCAL_ACCOUNTS=true beside an identity provider ("
                    + (oidcIssuer != null ? "CHAT_OIDC_ISSUER, whose sign-in the page offers next to the local form" : "CHAT_JWT_JWKS_URL")
                    + "): local and provider users share one namespace;"
                    + " a provider user whose name is a local account is refused, and a local account cannot take a name"
                    + " a provider user has used here (a name the provider has but nobody used yet can still be registered)");
        }
        int loginPerUser = r.integer("CHAT_LOGIN_MAX_FAILURES_PER_USER", 5, 1, 1_000_000);
        int loginPerAddress = r.integer("CHAT_LOGIN_MAX_FAILURES_PER_ADDRESS", 100, 1, 1_000_000);
        Duration loginWindow = r.duration("CHAT_LOGIN_FAILURE_WINDOW", Duration.ofMinutes(5), Duration.ofSeconds(1));
        List<String> publicRooms = publicRooms(r);
        int registerPerAddress = r.integer("CHAT_REGISTER_MAX_PER_ADDRESS", 20, 1, 1_000_000);
        int ownedRooms = r.integer("CHAT_MAX_OWNED_ROOMS_PER_USER", 100, 0, 1_000_000);
        int invitations = r.integer("CHAT_MAX_INVITATIONS_PER_USER", 1000, 0, 10_000_000);
        int newDirects = r.integer("CHAT_MAX_NEW_DIRECTS_PER_DAY", 200, 0, 1_000_000);
        int roomRate = r.integer("CHAT_ROOM_RATE_PER_SEC", 100, 1, 1_000_000);
        Duration slowConsumerGrace = r.duration("CHAT_SLOW_CONSUMER_GRACE", Duration.ofSeconds(10), Duration.ofMillis(100));
        int perAddress = r.integer("CHAT_MAX_CONNECTIONS_PER_ADDRESS", 200, 1, 10_000_000);
        int handshakesPerAddress = r.integer("CHAT_MAX_HANDSHAKES_PER_ADDRESS_PER_SECOND", 20, 1, 1_000_000);
        List<String> trustedProxies = trustedProxies(r);
        // one header, the operator's choice: reading whichever is there would let a client send the one its proxy passes through
        String forwardedHeader = r.string("CHAT_FORWARDED_HEADER", "X-Forwarded-For");
        if (!forwardedHeader.equalsIgnoreCase("X-Forwarded-For") && !forwardedHeader.equalsIgnoreCase("Forwarded")) {
            r.problem("CHAT_FORWARDED_HEADER", forwardedHeader, "X-Forwarded-For or Forwarded (RFC 7239): the header the trusted proxies write");
        }
        boolean rfc7239Forwarded = forwardedHeader.equalsIgnoreCase("Forwarded");
        int logSampleLines = r.integer("CHAT_LOG_SAMPLE_LINES", 20, 1, 1_000_000);
        Duration logSampleInterval = r.duration("CHAT_LOG_SAMPLE_INTERVAL", Duration.ofMinutes(1), Duration.ofMillis(100));
        Integer managementPort = r.raw("CHAT_MANAGEMENT_PORT") == null ? null : r.integer("CHAT_MANAGEMENT_PORT", 0, 0, 65535);
        if (managementPort != null && managementPort != 0 && managementPort == port) {
            r.problem("CHAT_MANAGEMENT_PORT (" + managementPort + ") must differ from CHAT_PORT: it is a second listener");
        }
        String metricsToken = metricsToken(r);
        ServerApiSettings serverApi = ServerApiSettings.read(r);
        WebhookSettings webhooks = WebhookSettings.read(r);
        if (redis != null && secret == null) {
            r.problem("CHAT_JWT_SECRET must be set when CHAT_REDIS_URL is: every node must verify the others' tokens");
        }

        if (idle.compareTo(ping) <= 0) {
            r.problem("CHAT_IDLE_TIMEOUT (" + idle.toMillis() + "ms) must exceed CHAT_PING_INTERVAL ("
                    + ping.toMillis() + "ms), or live clients would be closed between two pings");
        }
        if (outboxBytes < maxFrame) {
            r.problem("CHAT_OUTBOX_MAX_BYTES (" + outboxBytes + ") must be at least CHAT_MAX_FRAME_BYTES ("
                    + maxFrame + "), or one reply could overflow an empty outbox");
        }
        if (!r.problems().isEmpty()) {
            throw new ConfigException(r.problems());
        }
        return new ChatConfig(host, port, httpTimeout, httpKeepAlive, secret, tokenTtl, sessionTtl, jwksUrl, jwtIssuer, jwtAudience, userClaim, rolesClaim, adminRoles, leeway,
                oidcIssuer, oidcClientId, oidcName, origins, dataDir, registration, localAccounts, maxText,
                maxFrame, outboxMessages, outboxBytes, ping, idle, roomsPerUser, roomMembers,
                connections, perUser, rate, burst, grace, redis, nodeId, prefix, presenceTtl, dbUrl, dbUser, dbPassword,
                dbJndi, dbPoolSize, sqliteSync, logFormat, retention, replayLimit, historyOnJoin, dedupeWindow, loginPerUser, loginPerAddress,
                loginWindow, registerPerAddress, ownedRooms, invitations, newDirects, roomRate, slowConsumerGrace, publicRooms,
                perAddress, handshakesPerAddress, trustedProxies, rfc7239Forwarded, logSampleLines, logSampleInterval, managementPort, metricsToken, serverApi, webhooks, warnings);
    }

    private static byte[] secret(SettingsReader r) {
        String value = r.raw("CHAT_JWT_SECRET");
        if (value == null) {
            return null;
        }
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        if (bytes.length < MIN_SECRET_BYTES) {
            // never echo the value: it is a secret even when it is a bad one
            r.problem("CHAT_JWT_SECRET is invalid: expected at least " + MIN_SECRET_BYTES
                    + " bytes, got " + bytes.length);
        }
        return bytes;
    }

    /** {@code CHAT_METRICS_TOKEN}: what a Bearer header can carry (RFC 6750's b64token), long enough not to be guessed. */
    private static String metricsToken(SettingsReader r) {
        String value = r.raw("CHAT_METRICS_TOKEN");
        if (value != null && (value.length() < MIN_METRICS_TOKEN || !value.matches("[A-Za-z0-9._~+/-]+=*"))) {
            // never echo the value: it is a secret even when it is a bad one
            r.problem("CHAT_METRICS_TOKEN is invalid: expected at least " + MIN_METRICS_TOKEN
                    + " of A-Z a-z 0-9 - . _ ~ + / (then = padding), got " + value.length() + " characters");
        }
        return value;
    }

    /**
     * {@code CHAT_OIDC_ISSUER}: an http(s) URL without query or fragment (discovery appends
     * {@code /.well-known/openid-configuration} to it, OpenID Connect Discovery §4). Kept exactly as
     * written: it is compared with the tokens' {@code iss} character for character.
     */
    private static java.net.URI oidcIssuer(SettingsReader r) {
        String value = r.raw("CHAT_OIDC_ISSUER");
        if (value == null) {
            return null;
        }
        try {
            java.net.URI uri = new java.net.URI(value);
            if (("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())) && uri.getHost() != null
                    && uri.getRawQuery() == null && uri.getRawFragment() == null && uri.getRawUserInfo() == null) {
                uri.toURL();
                return uri;
            }
        } catch (java.net.URISyntaxException | java.net.MalformedURLException | IllegalArgumentException ignored) {
            // reported below
        }
        r.problem("CHAT_OIDC_ISSUER", value, "an http(s) issuer URL without query or fragment, such as https://id.example.com/realms/acme");
        return null;
    }

    /** Whether users may come from an identity provider (its tokens over WebSocket, and with {@link #oidcIssuer} its sign-in in the page). */
    public boolean identityProvider() {
        return jwtJwksUrl != null || oidcIssuer != null;
    }

    private static java.net.URI jwksUrl(SettingsReader r) {
        String value = r.raw("CHAT_JWT_JWKS_URL");
        if (value == null) {
            return null;
        }
        try {
            java.net.URI uri = new java.net.URI(value);
            if (("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())) && uri.getHost() != null) {
                uri.toURL(); // the JWKS is fetched through java.net.URL
                return uri;
            }
        } catch (java.net.URISyntaxException | java.net.MalformedURLException | IllegalArgumentException ignored) {
            // reported below
        }
        r.problem("CHAT_JWT_JWKS_URL", value, "an http(s) URL such as https://id.example.com/.well-known/jwks.json");
        return null;
    }

    /** {@code forever} (the default) or a duration such as {@code 90d}: at least an hour. */
    private static Duration retention(SettingsReader r) {
        String value = r.raw("CHAT_RETENTION");
        if (value == null || value.trim().equals("forever")) {
            return null;
        }
        return r.duration("CHAT_RETENTION", null, Duration.ofHours(1));
    }

    private static java.net.URI redisUrl(SettingsReader r) {
        String value = r.raw("CHAT_REDIS_URL");
        if (value == null) {
            return null;
        }
        try {
            java.net.URI uri = new java.net.URI(value);
            if (("redis".equals(uri.getScheme()) || "rediss".equals(uri.getScheme())) && uri.getHost() != null) {
                return uri;
            }
        } catch (java.net.URISyntaxException ignored) {
            // reported below
        }
        // the URL may hold a password: name the setting, not the value
        r.problem("CHAT_REDIS_URL is invalid: expected redis://[:password@]host[:port][/db]");
        return null;
    }

    /** Whether the node is one of a Redis cluster. */
    public boolean clustered() {
        return redisUrl != null;
    }

    /** The room names of {@code CHAT_PUBLIC_ROOMS} (the protocol's room pattern); set and blank means none. */
    private static List<String> publicRooms(SettingsReader r) {
        String value = r.raw("CHAT_PUBLIC_ROOMS");
        if (value == null) {
            return r.present("CHAT_PUBLIC_ROOMS") ? List.of() : List.of("general"); // the page's default room
        }
        List<String> rooms = Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).distinct().toList();
        if (rooms.stream().anyMatch(room -> !room.matches("[A-Za-z0-9_-]{1,64}"))) {
            r.problem("CHAT_PUBLIC_ROOMS", value, "a comma-separated list of room names matching [A-Za-z0-9_-]{1,64}, or empty");
        }
        return rooms;
    }

    /** {@code CHAT_TRUSTED_PROXIES}: comma-separated IP addresses and CIDR ranges; unset or blank trusts none. */
    private static List<String> trustedProxies(SettingsReader r) {
        String value = r.raw("CHAT_TRUSTED_PROXIES");
        if (value == null) {
            return List.of();
        }
        List<String> proxies = Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).distinct().toList();
        if (proxies.stream().anyMatch(p -> !dev.chat.auth.ClientAddress.validEntry(p))) {
            r.problem("CHAT_TRUSTED_PROXIES", value, "a comma-separated list of IP addresses and CIDR ranges"
                    + " (10.0.0.5, 10.0.0.0/8, ::1, fd00::/8), or empty");
        }
        return proxies;
    }

    private static List<String> origins(SettingsReader r) {
        String value = r.raw("CHAT_ALLOWED_ORIGINS");
        if (value == null) {
            return List.of();
        }
        List<String> origins = Arrays.stream(value.split(","))
                .map(String::trim).filter(s -> !s.isEmpty()).toList();
        for (String origin : origins) {
            if (!origin.equals("*") && !origin.matches("https?://[^/\\s]+")) {
                r.problem("CHAT_ALLOWED_ORIGINS", value,
                        "a comma-separated list of origins such as https://chat.example.com, or *");
                break;
            }
        }
        return origins;
    }

    @Override
    public byte[] jwtSecret() {
        return jwtSecret == null ? null : jwtSecret.clone();
    }

    /** Same as a record's, with the secret masked: this is what the start log prints. */
    @Override
    public String toString() {
        return "ChatConfig[host=" + host + ", port=" + port
                + ", httpTimeout=" + httpTimeout + ", httpKeepAlive=" + httpKeepAlive
                + ", jwtSecret=" + (jwtSecret == null ? "(generated)" : "****")
                + ", tokenTtl=" + tokenTtl + ", sessionTtl=" + sessionTtl
                + ", jwtJwksUrl=" + (jwtJwksUrl == null ? "(none: own tokens only)" : jwtJwksUrl)
                + ", jwtIssuer=" + jwtIssuer + ", jwtAudience=" + jwtAudience + ", jwtUserClaim=" + jwtUserClaim + ", jwtRolesClaim=" + jwtRolesClaim + ", adminRoles=" + adminRoles
                + ", jwtLeeway=" + jwtLeeway
                + ", oidcIssuer=" + (oidcIssuer == null ? "(none)" : oidcIssuer) + ", oidcClientId=" + oidcClientId + ", oidcName=" + oidcName
                + ", publicRooms=" + publicRooms + ", slowConsumerGrace=" + slowConsumerGrace + ", registerMaxPerAddress=" + registerMaxPerAddress
                + ", maxOwnedRoomsPerUser=" + maxOwnedRoomsPerUser + ", maxInvitationsPerUser=" + maxInvitationsPerUser
                + ", maxNewDirectsPerDay=" + maxNewDirectsPerDay + ", roomRatePerSec=" + roomRatePerSec + ", allowedOrigins=" + (allowedOrigins.isEmpty() ? "(same origin)" : allowedOrigins)
                + ", dataDir=" + dataDir + ", registration=" + registration + ", localAccounts=" + localAccounts + ", maxText=" + maxText
                + ", maxFrameBytes=" + maxFrameBytes + ", outboxMaxMessages=" + outboxMaxMessages
                + ", outboxMaxBytes=" + outboxMaxBytes + ", pingInterval=" + pingInterval
                + ", idleTimeout=" + idleTimeout + ", maxRoomsPerUser=" + maxRoomsPerUser
                + ", maxRoomMembers=" + maxRoomMembers + ", maxConnections=" + maxConnections
                + ", maxConnectionsPerUser=" + maxConnectionsPerUser + ", ratePerSec=" + ratePerSec
                + ", rateBurst=" + rateBurst + ", shutdownGrace=" + shutdownGrace
                + ", redisUrl=" + (redisUrl == null ? "(none: single node)" : maskedRedisUrl())
                + ", nodeId=" + nodeId + ", redisPrefix=" + redisPrefix + ", presenceTtl=" + presenceTtl
                + ", dbUrl=" + (dbJndi != null ? "(JNDI " + dbJndi + ")" : dbUrl == null ? "(SQLite in dataDir)" : maskedDbUrl())
                + ", dbUser=" + dbUser + ", dbPassword=" + (dbPassword == null ? "(none)" : "****")
                + ", dbPoolSize=" + dbPoolSize + ", sqliteSync=" + sqliteSync + ", logFormat=" + logFormat + ", retention=" + (retention == null ? "forever" : retention)
                + ", replayLimit=" + replayLimit + ", historyOnJoin=" + historyOnJoin
                + ", dedupeWindow=" + dedupeWindow
                + ", loginMaxFailuresPerUser=" + loginMaxFailuresPerUser
                + ", loginMaxFailuresPerAddress=" + loginMaxFailuresPerAddress
                + ", loginFailureWindow=" + loginFailureWindow
                + ", maxConnectionsPerAddress=" + maxConnectionsPerAddress
                + ", maxHandshakesPerAddressPerSecond=" + maxHandshakesPerAddressPerSecond
                + ", trustedProxies=" + (trustedProxies.isEmpty() ? "(none)" : trustedProxies)
                + ", forwardedHeader=" + (rfc7239Forwarded ? "Forwarded" : "X-Forwarded-For")
                + ", logSampleLines=" + logSampleLines + ", logSampleInterval=" + logSampleInterval
                + ", managementPort=" + (managementPort == null ? "(none: on the chat port)" : managementPort)
                + ", metricsToken=" + (metricsToken == null ? "(none: metrics open)" : "****")
                + ", serverApi=[" + serverApi + "], webhooks=[" + webhooks + "]]";
    }

    /** A JDBC URL's query may carry a password: it is left out of the log. */
    private String maskedDbUrl() {
        int q = dbUrl.indexOf('?');
        return q < 0 ? dbUrl : dbUrl.substring(0, q) + "?****";
    }

    /** Whether the store of record is the embedded SQLite file (one node only). */
    public boolean sqliteStore() {
        return dbJndi == null && (dbUrl == null || dbUrl.startsWith("jdbc:sqlite:"));
    }

    private String maskedRedisUrl() {
        return redisUrl.getUserInfo() == null ? redisUrl.toString() : redisUrl.toString().replace(redisUrl.getRawUserInfo(), "****");
    }
}
