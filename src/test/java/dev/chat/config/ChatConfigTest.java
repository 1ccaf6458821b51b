package dev.chat.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link ChatConfig#load}: defaults, sources, units, validation, and that the secret never leaks. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ChatConfigTest {
    private static final String VALID_SECRET = "0123456789abcdef0123456789abcdef-valid";

    private static ChatConfig load(Map<String, String> env) {
        return ChatConfig.load(env, new Properties());
    }

    private static Properties props(String key, String value) {
        Properties p = new Properties();
        p.setProperty(key, value);
        return p;
    }

    private static ConfigException rejected(Map<String, String> env) {
        return assertThrows(ConfigException.class, () -> load(env));
    }

    @Test
    void defaultsMatchTheDocumentedDefaults() {
        ChatConfig c = ChatConfig.load(Map.of(), new Properties());
        assertEquals("127.0.0.1", c.host());
        assertEquals(8080, c.port());
        assertEquals(Duration.ofSeconds(10), c.httpTimeout());
        assertEquals(Duration.ofSeconds(30), c.httpKeepAlive());
        assertNull(c.jwtSecret(), "no secret configured means one is generated per start");
        assertEquals(Duration.ofMinutes(15), c.tokenTtl());
        assertEquals(Duration.ofDays(30), c.sessionTtl());
        assertEquals(List.of(), c.allowedOrigins());
        assertEquals(Path.of("./data"), c.dataDir());
        assertTrue(c.registration());
        assertEquals(4096, c.maxText());
        assertEquals(64 * 1024, c.maxFrameBytes());
        assertEquals(1000, c.outboxMaxMessages());
        assertEquals(1024 * 1024, c.outboxMaxBytes());
        assertEquals(Duration.ofSeconds(25), c.pingInterval());
        assertEquals(Duration.ofSeconds(60), c.idleTimeout());
        assertEquals(500, c.maxRoomsPerUser());
        assertEquals(10_000, c.maxRoomMembers());
        assertEquals(10_000, c.maxConnections());
        assertEquals(10, c.maxConnectionsPerUser());
        assertEquals(20, c.ratePerSec());
        assertEquals(40, c.rateBurst());
        assertEquals(Duration.ofSeconds(10), c.shutdownGrace());
    }

    @Test
    void theEarlierPerConnectionRoomBoundStillLowersThePerUserOne() {
        assertEquals(60, load(Map.of("CHAT_MAX_ROOMS_PER_USER", "60")).maxRoomsPerUser());
        assertEquals(7, load(Map.of("CHAT_MAX_ROOMS_PER_CONNECTION", "7")).maxRoomsPerUser());
        assertEquals(60, load(Map.of("CHAT_MAX_ROOMS_PER_USER", "60", "CHAT_MAX_ROOMS_PER_CONNECTION", "100")).maxRoomsPerUser());
    }

    @Test
    void environmentVariableSetsThePort() {
        assertEquals(9000, load(Map.of("CHAT_PORT", "9000")).port());
    }

    @Test
    void systemPropertySetsThePort() {
        assertEquals(9001, ChatConfig.load(Map.of(), props("chat.port", "9001")).port());
    }

    @Test
    void systemPropertyWinsOverEnvironmentVariable() {
        assertEquals(9001, ChatConfig.load(Map.of("CHAT_PORT", "9000"), props("chat.port", "9001")).port());
    }

    @Test
    void blankValueMeansTheDefault() {
        assertEquals(8080, load(Map.of("CHAT_PORT", "   ")).port());
    }

    @ParameterizedTest(name = "{0} = {1} ms")
    @CsvSource({"500ms, 500", "25s, 25000", "10m, 600000", "2h, 7200000", "30, 30000"})
    void durationsAcceptMillisSecondsMinutesHoursAndBareSeconds(String value, long millis) {
        // the shutdown grace has no interplay with other settings
        assertEquals(Duration.ofMillis(millis), load(Map.of("CHAT_SHUTDOWN_GRACE", value)).shutdownGrace());
    }

    @Test
    void httpTimeoutsBelow100msAreRefusedByName() {
        List<String> problems = rejected(Map.of("CHAT_HTTP_TIMEOUT", "50ms", "CHAT_HTTP_KEEP_ALIVE", "0")).problems();
        assertEquals(2, problems.size(), problems::toString);
        assertTrue(problems.get(0).contains("CHAT_HTTP_TIMEOUT") && problems.get(0).contains("at least 100ms"), problems::toString);
        assertTrue(problems.get(1).contains("CHAT_HTTP_KEEP_ALIVE"), problems::toString);
        assertEquals(Duration.ofMillis(1500), load(Map.of("CHAT_HTTP_TIMEOUT", "1500ms")).httpTimeout());
    }

    @ParameterizedTest(name = "{0} = {1} bytes")
    @CsvSource({"65536, 65536", "64KiB, 65536", "1MiB, 1048576"})
    void sizesAcceptBytesKibAndMib(String value, int bytes) {
        assertEquals(bytes, load(Map.of("CHAT_MAX_FRAME_BYTES", value)).maxFrameBytes());
    }

    @Test
    void everyInvalidSettingIsReportedInOneException() {
        ConfigException e = rejected(Map.of(
                "CHAT_PORT", "eighty",
                "CHAT_MAX_TEXT", "0",
                "CHAT_REGISTRATION", "maybe",
                "CHAT_TOKEN_TTL", "forever",
                "CHAT_MAX_FRAME_BYTES", "12 parsecs"));
        List<String> problems = e.problems();
        assertEquals(5, problems.size(), problems::toString);
        for (String name : List.of("CHAT_PORT", "CHAT_MAX_TEXT", "CHAT_REGISTRATION", "CHAT_TOKEN_TTL",
                "CHAT_MAX_FRAME_BYTES")) {
            assertTrue(problems.stream().anyMatch(p -> p.startsWith(name + "=")), () -> name + " not in " + problems);
            assertTrue(e.getMessage().contains(name), () -> name + " not in message " + e.getMessage());
        }
    }

    @Test
    void portOutOfRangeIsRejected() {
        ConfigException e = rejected(Map.of("CHAT_PORT", "65536"));
        assertEquals(1, e.problems().size());
        assertTrue(e.problems().get(0).startsWith("CHAT_PORT=65536 is invalid"), e.problems()::toString);
    }

    @Test
    void idleTimeoutEqualToPingIntervalIsRejected() {
        ConfigException e = rejected(Map.of("CHAT_PING_INTERVAL", "30s", "CHAT_IDLE_TIMEOUT", "30s"));
        assertEquals(1, e.problems().size(), e.problems()::toString);
        assertTrue(e.problems().get(0).contains("CHAT_IDLE_TIMEOUT"), e.problems()::toString);
        assertTrue(e.problems().get(0).contains("CHAT_PING_INTERVAL"), e.problems()::toString);
    }

    @Test
    void idleTimeoutShorterThanPingIntervalIsRejected() {
        ConfigException e = rejected(Map.of("CHAT_PING_INTERVAL", "30s", "CHAT_IDLE_TIMEOUT", "10s"));
        assertTrue(e.problems().get(0).contains("CHAT_IDLE_TIMEOUT"), e.problems()::toString);
    }

    @Test
    void idleTimeoutLongerThanPingIntervalIsAccepted() {
        ChatConfig c = load(Map.of("CHAT_PING_INTERVAL", "30s", "CHAT_IDLE_TIMEOUT", "31s"));
        assertEquals(Duration.ofSeconds(31), c.idleTimeout());
    }

    @Test
    void tooShortJwtSecretIsRejectedWithoutEchoingIt() {
        String secret = "short-but-very-secret-31-bytes!";
        assertEquals(31, secret.getBytes(StandardCharsets.UTF_8).length);
        ConfigException e = rejected(Map.of("CHAT_JWT_SECRET", secret));
        assertEquals(1, e.problems().size(), e.problems()::toString);
        assertTrue(e.problems().get(0).startsWith("CHAT_JWT_SECRET"), e.problems()::toString);
        assertFalse(e.getMessage().contains(secret), "the secret leaked into the message");
        assertFalse(String.join("\n", e.problems()).contains(secret), "the secret leaked into problems()");
    }

    @Test
    void tooShortJwtSecretDoesNotAppearAlongsideOtherProblems() {
        // a rejected secret never reaches a ChatConfig, but the other problems' text must not carry it either
        String secret = "tiny-secret";
        ConfigException e = rejected(Map.of("CHAT_JWT_SECRET", secret, "CHAT_PORT", "x"));
        assertEquals(2, e.problems().size(), e.problems()::toString);
        assertFalse(e.toString().contains(secret));
    }

    @Test
    void validJwtSecretIsKeptAsItsUtf8Bytes() {
        ChatConfig c = load(Map.of("CHAT_JWT_SECRET", VALID_SECRET));
        assertArrayEquals(VALID_SECRET.getBytes(StandardCharsets.UTF_8), c.jwtSecret());
    }

    @Test
    void validJwtSecretNeverAppearsInToString() {
        ChatConfig c = load(Map.of("CHAT_JWT_SECRET", VALID_SECRET));
        String text = c.toString();
        assertFalse(text.contains(VALID_SECRET), text);
        assertTrue(text.contains("jwtSecret=****"), text);
    }

    @Test
    void allowedOriginsAreACommaSeparatedTrimmedList() {
        ChatConfig c = load(Map.of("CHAT_ALLOWED_ORIGINS", "https://a.example, http://b.example:8080"));
        assertEquals(List.of("https://a.example", "http://b.example:8080"), c.allowedOrigins());
    }

    @Test
    void allowedOriginsStarMeansAny() {
        assertEquals(List.of("*"), load(Map.of("CHAT_ALLOWED_ORIGINS", "*")).allowedOrigins());
    }

    @Test
    void allowedOriginWithAnotherSchemeIsRejected() {
        ConfigException e = rejected(Map.of("CHAT_ALLOWED_ORIGINS", "ftp://x"));
        assertEquals(1, e.problems().size(), e.problems()::toString);
        assertTrue(e.problems().get(0).startsWith("CHAT_ALLOWED_ORIGINS=ftp://x is invalid"), e.problems()::toString);
    }

    @Test
    void allowedOriginWithAPathIsRejected() {
        ConfigException e = rejected(Map.of("CHAT_ALLOWED_ORIGINS", "https://a.example/chat"));
        assertTrue(e.problems().get(0).startsWith("CHAT_ALLOWED_ORIGINS="), e.problems()::toString);
    }

    // ---------------------------------------------------------------- clustering

    @Test
    void unclusteredByDefault() {
        ChatConfig c = load(Map.of());
        assertEquals(null, c.redisUrl());
        assertEquals(false, c.clustered());
        assertEquals("chat:", c.redisPrefix());
        assertEquals(Duration.ofSeconds(60), c.presenceTtl());
        assertEquals(8, c.nodeId().length());
    }

    @Test
    void aRedisUrlNeedsAJwtSecret() {
        ConfigException e = rejected(Map.of("CHAT_REDIS_URL", "redis://127.0.0.1:6379/0", "CHAT_DB_URL", PG));
        assertEquals(List.of("CHAT_JWT_SECRET must be set when CHAT_REDIS_URL is: every node must verify the others' tokens"),
                e.problems());
    }

    private static final String PG = "jdbc:postgresql://db.example:5432/chat";

    @Test
    void aRedisUrlWithTheSqliteStoreIsRefused() {
        String expected = "CHAT_REDIS_URL needs a database that every node shares: set CHAT_DB_URL to PostgreSQL"
                + " (jdbc:postgresql://host:5432/chat) or CHAT_DB_JNDI; a SQLite file cannot be shared by nodes";
        assertEquals(List.of(expected), rejected(Map.of("CHAT_REDIS_URL", "redis://127.0.0.1:6379/0",
                "CHAT_JWT_SECRET", "0123456789abcdef0123456789abcdef")).problems());
        assertEquals(List.of(expected), rejected(Map.of("CHAT_REDIS_URL", "redis://127.0.0.1:6379/0",
                "CHAT_JWT_SECRET", "0123456789abcdef0123456789abcdef", "CHAT_DB_URL", "jdbc:sqlite:/tmp/x.db")).problems());
    }

    @Test
    void theStoreIsSqliteInTheDataDirByDefaultAndPostgresWhenNamed() {
        ChatConfig c = load(Map.of());
        assertTrue(c.sqliteStore());
        assertNull(c.retention(), "kept forever");
        assertEquals(1000, c.replayLimit());
        ChatConfig pg = load(Map.of("CHAT_DB_URL", PG + "?password=hunter2-secret", "CHAT_DB_USER", "chat",
                "CHAT_DB_PASSWORD", "also-secret", "CHAT_RETENTION", "90d"));
        assertFalse(pg.sqliteStore());
        assertEquals(Duration.ofDays(90), pg.retention());
        assertFalse(pg.toString().contains("hunter2-secret"), pg.toString());
        assertFalse(pg.toString().contains("also-secret"), pg.toString());
    }

    @Test
    void badStoreSettingsAreNamed() {
        ConfigException e = rejected(Map.of("CHAT_DB_URL", "mysql://x?password=pw-in-url", "CHAT_DB_JNDI", "jdbc/chat; drop",
                "CHAT_RETENTION", "sometimes"));
        assertTrue(e.problems().contains("CHAT_DB_URL is invalid: expected jdbc:postgresql://host:5432/chat (or jdbc:sqlite:/path/chat.db)"), e.problems().toString());
        assertEquals(3, e.problems().size(), e.problems().toString());
        assertFalse(e.getMessage().contains("pw-in-url"));
    }

    @Test
    void sqliteSyncIsFullByDefaultNormalOnRequestAndNothingElse() {
        assertEquals("full", load(Map.of()).sqliteSync());
        assertEquals("normal", load(Map.of("CHAT_SQLITE_SYNC", "normal")).sqliteSync());
        assertEquals(List.of("CHAT_SQLITE_SYNC=off is invalid: expected full or normal"), rejected(Map.of("CHAT_SQLITE_SYNC", "off")).problems());
    }

    @Test
    void retiredHistorySettingsStillStartWithAWarning() {
        ChatConfig c = load(Map.of("CHAT_HISTORY_SIZE", "10", "CHAT_HISTORY_TTL", "1h"));
        assertEquals(2, c.warnings().size(), c.warnings().toString());
        assertTrue(c.warnings().get(0).startsWith("CHAT_HISTORY_SIZE is set but no longer used"), c.warnings().toString());
    }

    @Test
    void aRedisUrlWithSecretClusters() {
        ChatConfig c = load(Map.of("CHAT_REDIS_URL", "redis://:pw-1234@127.0.0.1:6390/2", "CHAT_DB_URL", PG,
                "CHAT_JWT_SECRET", "0123456789abcdef0123456789abcdef", "CHAT_NODE_ID", "n-1", "CHAT_PRESENCE_TTL", "5s"));
        assertEquals(true, c.clustered());
        assertEquals(6390, c.redisUrl().getPort());
        assertEquals("n-1", c.nodeId());
        assertEquals(Duration.ofSeconds(5), c.presenceTtl());
        assertFalse(c.toString().contains("pw-1234"), "the Redis password is masked: " + c);
    }

    @Test
    void anInvalidRedisUrlIsNamedWithoutItsValue() {
        ConfigException e = rejected(Map.of("CHAT_REDIS_URL", "http://:secretpw@host", "CHAT_JWT_SECRET",
                "0123456789abcdef0123456789abcdef"));
        assertEquals(List.of("CHAT_REDIS_URL is invalid: expected redis://[:password@]host[:port][/db]"), e.problems());
        assertFalse(e.getMessage().contains("secretpw"));
    }

    @Test
    void anInvalidNodeIdIsRejected() {
        assertTrue(rejected(Map.of("CHAT_NODE_ID", "has space")).problems().get(0).startsWith("CHAT_NODE_ID=has space is invalid"));
    }

    // ---------------------------------------------------------------- identity provider, leeway, login throttle

    @Test
    void identityProviderSettingsDefaultToOwnTokensOnly() {
        ChatConfig c = load(Map.of());
        assertNull(c.jwtJwksUrl());
        assertNull(c.jwtIssuer());
        assertNull(c.jwtAudience());
        assertEquals("sub", c.jwtUserClaim());
        assertEquals(Duration.ofSeconds(30), c.jwtLeeway());
        assertEquals(5, c.loginMaxFailuresPerUser());
        assertEquals(100, c.loginMaxFailuresPerAddress());
        assertEquals(Duration.ofMinutes(5), c.loginFailureWindow());
    }

    @Test
    void identityProviderSettingsAreRead() {
        ChatConfig c = load(Map.of("CHAT_JWT_JWKS_URL", "https://id.example.com/.well-known/jwks.json",
                "CHAT_JWT_ISSUER", "https://id.example.com", "CHAT_JWT_AUDIENCE", "chat",
                "CHAT_JWT_USER_CLAIM", "preferred_username", "CHAT_JWT_LEEWAY", "5s"));
        assertEquals("https://id.example.com/.well-known/jwks.json", c.jwtJwksUrl().toString());
        assertEquals("https://id.example.com", c.jwtIssuer());
        assertEquals("chat", c.jwtAudience());
        assertEquals("preferred_username", c.jwtUserClaim());
        assertEquals(Duration.ofSeconds(5), c.jwtLeeway());
        assertTrue(c.toString().contains("jwtJwksUrl=https://id.example.com/.well-known/jwks.json"), c::toString);
    }

    @Test
    void aJwksUrlThatIsNotHttpIsRejected() {
        assertTrue(rejected(Map.of("CHAT_JWT_JWKS_URL", "file:///etc/passwd")).problems().get(0)
                .startsWith("CHAT_JWT_JWKS_URL=file:///etc/passwd is invalid"));
        assertTrue(rejected(Map.of("CHAT_JWT_JWKS_URL", "not a url")).problems().get(0).startsWith("CHAT_JWT_JWKS_URL"));
    }

    @Test
    void aLeewayOverTenMinutesIsRejected() {
        assertTrue(rejected(Map.of("CHAT_JWT_LEEWAY", "11m")).problems().get(0).startsWith("CHAT_JWT_LEEWAY=11m is invalid"));
        assertEquals(Duration.ZERO, load(Map.of("CHAT_JWT_LEEWAY", "0s")).jwtLeeway());
    }

    @Test
    void aSessionShorterThanItsAccessTokensIsRejected() {
        assertTrue(rejected(Map.of("CHAT_SESSION_TTL", "10m", "CHAT_TOKEN_TTL", "15m")).problems().get(0)
                .startsWith("CHAT_SESSION_TTL (PT10M) must be at least CHAT_TOKEN_TTL"));
        assertEquals(Duration.ofDays(7), load(Map.of("CHAT_SESSION_TTL", "7d")).sessionTtl());
    }

    @Test
    void issuerAudienceOrUserClaimWithoutAJwksUrlIsRejected() {
        ConfigException e = rejected(Map.of("CHAT_JWT_ISSUER", "https://id.example.com"));
        assertTrue(e.problems().get(0).contains("set CHAT_OIDC_ISSUER or CHAT_JWT_JWKS_URL too"), e.problems()::toString);
    }

    @Test
    void anInvalidUserClaimIsRejected() {
        ConfigException e = rejected(Map.of("CHAT_JWT_JWKS_URL", "https://id.example.com/jwks", "CHAT_JWT_USER_CLAIM", "a b"));
        assertTrue(e.problems().get(0).startsWith("CHAT_JWT_USER_CLAIM=a b is invalid"), e.problems()::toString);
    }

    @Test
    void loginThrottleSettingsAreValidated() {
        ChatConfig c = load(Map.of("CHAT_LOGIN_MAX_FAILURES_PER_USER", "3", "CHAT_LOGIN_MAX_FAILURES_PER_ADDRESS", "7",
                "CHAT_LOGIN_FAILURE_WINDOW", "2m"));
        assertEquals(3, c.loginMaxFailuresPerUser());
        assertEquals(7, c.loginMaxFailuresPerAddress());
        assertEquals(Duration.ofMinutes(2), c.loginFailureWindow());
        assertEquals(2, rejected(Map.of("CHAT_LOGIN_MAX_FAILURES_PER_USER", "0", "CHAT_LOGIN_FAILURE_WINDOW", "0s"))
                .problems().size());
    }

    @Test
    void chatPublicRoomsIsGeneralByDefaultAListOfRoomNamesOrEmpty() {
        assertEquals(List.of("general"), load(Map.of()).publicRooms());
        assertEquals(20, load(Map.of()).registerMaxPerAddress());
        assertEquals(java.time.Duration.ofSeconds(10), load(Map.of()).slowConsumerGrace());
        assertEquals(List.of("lobby", "help"), load(Map.of("CHAT_PUBLIC_ROOMS", " lobby,help ,lobby")).publicRooms());
        assertEquals(List.of(), load(Map.of("CHAT_PUBLIC_ROOMS", "")).publicRooms());
        ConfigException e = rejected(Map.of("CHAT_PUBLIC_ROOMS", "lobby,no spaces"));
        assertTrue(e.problems().get(0).startsWith("CHAT_PUBLIC_ROOMS=lobby,no spaces is invalid"), e.problems()::toString);
    }

    @Test
    void localAccountsAreOnWithoutAProviderOffBesideOneAndMixingIsAWarning() {
        String jwks = "https://id.example.com/.well-known/jwks.json";
        assertTrue(load(Map.of()).localAccounts());
        ChatConfig providerOnly = load(Map.of("CHAT_JWT_JWKS_URL", jwks));
        assertFalse(providerOnly.localAccounts());
        assertTrue(providerOnly.warnings().isEmpty(), providerOnly.warnings()::toString);
        ChatConfig mixed = load(Map.of("CHAT_JWT_JWKS_URL", jwks, "CHAT_LOCAL_ACCOUNTS", "true"));
        assertTrue(mixed.localAccounts());
        assertTrue(mixed.warnings().get(0).startsWith("CHAT_LOCAL_ACCOUNTS=true beside an identity provider (CHAT_JWT_JWKS_URL)"),
                mixed.warnings()::toString);
        ChatConfig mixedInThePage = load(Map.of("CHAT_OIDC_ISSUER", "https://id.example.com/realms/acme", "CHAT_OIDC_CLIENT_ID", "chat",
                "CHAT_LOCAL_ACCOUNTS", "true"));
        assertTrue(mixedInThePage.warnings().stream().anyMatch(w -> w.startsWith("CHAT_LOCAL_ACCOUNTS=true beside an identity provider (CHAT_OIDC_ISSUER,")),
                mixedInThePage.warnings()::toString);
        assertTrue(mixedInThePage.warnings().stream().anyMatch(w -> w.startsWith("CHAT_OIDC_ISSUER without CHAT_JWT_AUDIENCE")),
                mixedInThePage.warnings()::toString);
        ChatConfig withAudience = load(Map.of("CHAT_OIDC_ISSUER", "https://id.example.com/realms/acme", "CHAT_OIDC_CLIENT_ID", "chat",
                "CHAT_JWT_AUDIENCE", "chat"));
        assertTrue(withAudience.warnings().isEmpty(), withAudience.warnings()::toString);
        assertTrue(rejected(Map.of("CHAT_LOCAL_ACCOUNTS", "false")).problems().get(0).contains("needs an identity provider"));
    }

    @Test
    void rolesClaimAndAdminRolesApplyToProviderTokensAndArePaths() {
        String jwks = "https://id.example.com/.well-known/jwks.json";
        ChatConfig defaults = load(Map.of("CHAT_JWT_JWKS_URL", jwks));
        assertEquals("role", defaults.jwtRolesClaim());
        assertEquals(java.util.List.of("admin"), defaults.adminRoles());
        ChatConfig keycloak = load(Map.of("CHAT_JWT_JWKS_URL", jwks, "CHAT_JWT_ROLES_CLAIM", "realm_access.roles",
                "CHAT_ADMIN_ROLES", "chat-admin, ops"));
        assertEquals("realm_access.roles", keycloak.jwtRolesClaim());
        assertEquals(java.util.List.of("chat-admin", "ops"), keycloak.adminRoles());
        assertTrue(rejected(Map.of("CHAT_JWT_JWKS_URL", jwks, "CHAT_JWT_ROLES_CLAIM", "realm..roles")).problems().get(0)
                .startsWith("CHAT_JWT_ROLES_CLAIM"));
        assertTrue(rejected(Map.of("CHAT_ADMIN_ROLES", "ops")).problems().get(0).contains("set CHAT_OIDC_ISSUER or CHAT_JWT_JWKS_URL too"));
    }

    @Test
    void perAddressLimitsHaveTheirDefaultsAndTrustedProxiesAreAddressesOrRanges() {
        ChatConfig defaults = load(Map.of());
        assertEquals(200, defaults.maxConnectionsPerAddress());
        assertEquals(20, defaults.maxHandshakesPerAddressPerSecond());
        assertEquals(List.of(), defaults.trustedProxies(), "no proxy is trusted unless named");
        ChatConfig c = load(Map.of("CHAT_MAX_CONNECTIONS_PER_ADDRESS", "50", "CHAT_MAX_HANDSHAKES_PER_ADDRESS_PER_SECOND", "5",
                "CHAT_TRUSTED_PROXIES", " 10.0.0.0/8, ::1 ,10.0.0.0/8"));
        assertEquals(50, c.maxConnectionsPerAddress());
        assertEquals(5, c.maxHandshakesPerAddressPerSecond());
        assertEquals(List.of("10.0.0.0/8", "::1"), c.trustedProxies());
        assertTrue(c.toString().contains("trustedProxies=[10.0.0.0/8, ::1]"), c::toString);
        ConfigException e = rejected(Map.of("CHAT_MAX_CONNECTIONS_PER_ADDRESS", "0", "CHAT_MAX_HANDSHAKES_PER_ADDRESS_PER_SECOND", "x",
                "CHAT_TRUSTED_PROXIES", "10.0.0.1,proxy.example.com"));
        assertEquals(3, e.problems().size(), e.problems()::toString);
        assertTrue(e.problems().get(2).startsWith("CHAT_TRUSTED_PROXIES=10.0.0.1,proxy.example.com is invalid"), e.problems()::toString);
    }

    @Test
    void managementPortAndMetricsTokenAreUnsetByDefault() {
        ChatConfig c = load(Map.of());
        assertNull(c.managementPort(), "operations endpoints on the chat port");
        assertNull(c.metricsToken(), "metrics open");
        assertTrue(c.toString().contains("managementPort=(none: on the chat port)"), c::toString);
    }

    @Test
    void managementPortIsAPortOtherThanTheChatPort() {
        assertEquals(9090, load(Map.of("CHAT_MANAGEMENT_PORT", "9090")).managementPort());
        assertEquals(0, load(Map.of("CHAT_MANAGEMENT_PORT", "0", "CHAT_PORT", "0")).managementPort(), "0 picks a free one");
        ConfigException e = rejected(Map.of("CHAT_MANAGEMENT_PORT", "8080"));
        assertEquals(List.of("CHAT_MANAGEMENT_PORT (8080) must differ from CHAT_PORT: it is a second listener"), e.problems());
        assertTrue(rejected(Map.of("CHAT_MANAGEMENT_PORT", "70000")).problems().get(0).startsWith("CHAT_MANAGEMENT_PORT=70000 is invalid"));
    }

    @Test
    void metricsTokenIsValidatedWithoutEchoingItAndMasked() {
        String token = "0123456789abcdef-scrape";
        ChatConfig c = load(Map.of("CHAT_METRICS_TOKEN", token));
        assertEquals(token, c.metricsToken());
        assertFalse(c.toString().contains(token), c::toString);
        for (String bad : new String[] {"short-secret", "has a space in it, long enough"}) {
            ConfigException e = rejected(Map.of("CHAT_METRICS_TOKEN", bad, "CHAT_PORT", "x"));
            assertEquals(2, e.problems().size(), e.problems()::toString);
            assertTrue(e.problems().stream().anyMatch(p -> p.startsWith("CHAT_METRICS_TOKEN is invalid: expected at least 16")), e.problems()::toString);
            assertFalse(e.getMessage().contains(bad), e::getMessage);
        }
    }

    @Test
    void apiKeysAreNamedSecretsValidatedWithoutEchoingThemAndMasked() {
        String secret = "0123456789abcdef0123456789abcdef-api";
        ChatConfig c = load(Map.of("CHAT_API_KEYS", "billing:" + secret + ", ops:" + secret + "-2",
                "CHAT_API_ALLOWED_ADDRESSES", "10.0.0.0/8, ::1"));
        assertEquals(List.of("billing", "ops"), List.copyOf(c.serverApi().keys().keySet()));
        assertEquals(secret, c.serverApi().keys().get("billing"));
        assertEquals(List.of("10.0.0.0/8", "::1"), c.serverApi().allowedAddresses());
        assertFalse(c.toString().contains(secret), c::toString);
        assertTrue(c.toString().contains("billing,ops"), c::toString);
        assertFalse(load(Map.of()).serverApi().enabled(), "no keys: no server API");
        Map<String, String> bad = Map.of(
                "short:0123456789", "CHAT_API_KEYS key short is invalid: its secret must be at least 32",
                "no-secret-at-all-but-long-enough-to-be-one", "CHAT_API_KEYS entry 1 is invalid",
                "a:" + secret + ",a:" + secret + "x", "CHAT_API_KEYS names key a twice",
                "a:" + secret + ",b:" + secret, "CHAT_API_KEYS key b has the secret of another key",
                "bad name:" + secret, "CHAT_API_KEYS entry 1 is invalid");
        bad.forEach((value, problem) -> {
            ConfigException e = rejected(Map.of("CHAT_API_KEYS", value));
            assertEquals(1, e.problems().size(), e.problems()::toString);
            assertTrue(e.problems().get(0).startsWith(problem), e.problems()::toString);
            assertFalse(e.getMessage().contains(secret) || e.getMessage().contains("0123456789"), e::getMessage);
        });
        assertTrue(rejected(Map.of("CHAT_API_ALLOWED_ADDRESSES", "10.0.0.0/33")).problems().get(0)
                .startsWith("CHAT_API_ALLOWED_ADDRESSES"));
    }

    @Test
    void aWebhookNeedsAnHttpUrlAndALongSecretBothOfWhichStayOutOfTheLog() {
        String secret = "whsec-0123456789abcdef0123456789abcdef";
        ChatConfig c = load(Map.of("CHAT_WEBHOOK_URL", "https://backend.example.com:8443/hooks/pa55/events?token=t0k3n",
                "CHAT_WEBHOOK_SECRET", secret, "CHAT_WEBHOOK_RETRY_FOR", "2h", "CHAT_WEBHOOK_OFFLINE_DEBOUNCE", "0"));
        assertTrue(c.webhooks().enabled());
        assertEquals(Duration.ofHours(2), c.webhooks().retryFor());
        assertEquals(Duration.ofSeconds(10), c.webhooks().timeout(), "the default timeout");
        assertEquals(Duration.ZERO, c.webhooks().offlineDebounce());
        for (String hidden : List.of(secret, "pa55", "t0k3n")) {
            assertFalse(c.toString().contains(hidden), c::toString);
        }
        assertTrue(c.toString().contains("url=https://backend.example.com:8443/****,"), c::toString);
        assertFalse(load(Map.of()).webhooks().enabled(), "no URL: no webhooks");
        Map<Map<String, String>, String> bad = Map.of(
                Map.of("CHAT_WEBHOOK_URL", "ftp://backend.example.com/x?token=t0k3n", "CHAT_WEBHOOK_SECRET", secret),
                "CHAT_WEBHOOK_URL is invalid",
                Map.of("CHAT_WEBHOOK_URL", "https://backend.example.com/x"), "CHAT_WEBHOOK_SECRET must be set",
                Map.of("CHAT_WEBHOOK_URL", "https://backend.example.com/x", "CHAT_WEBHOOK_SECRET", "too-short-0123456789"),
                "CHAT_WEBHOOK_SECRET is too short",
                Map.of("CHAT_WEBHOOK_SECRET", secret), "CHAT_WEBHOOK_SECRET is set but CHAT_WEBHOOK_URL is not",
                Map.of("CHAT_WEBHOOK_URL", "https://hooks:pa55@backend.example.com/x", "CHAT_WEBHOOK_SECRET", secret),
                "CHAT_WEBHOOK_URL must not carry user:password@",
                Map.of("CHAT_WEBHOOK_TIMEOUT", "10ms"), "CHAT_WEBHOOK_TIMEOUT");
        bad.forEach((settings, problem) -> {
            ConfigException e = rejected(settings);
            assertEquals(1, e.problems().size(), e.problems()::toString);
            assertTrue(e.problems().get(0).startsWith(problem), e.problems()::toString);
            assertFalse(e.getMessage().contains(secret) || e.getMessage().contains("t0k3n") || e.getMessage().contains("too-short")
                            || e.getMessage().contains("pa55"),
                    e::getMessage);
        });
    }

    @Test
    void anOidcIssuerIsAProviderWhoseIssuerTheTokensMustCarry() {
        ChatConfig c = load(Map.of("CHAT_OIDC_ISSUER", "https://id.example.com/realms/acme", "CHAT_OIDC_CLIENT_ID", "chat-web"));
        assertEquals("https://id.example.com/realms/acme", c.oidcIssuer().toString());
        assertEquals("chat-web", c.oidcClientId());
        assertEquals("id.example.com", c.oidcName(), "the button's name defaults to the issuer's host");
        assertEquals("https://id.example.com/realms/acme", c.jwtIssuer());
        assertNull(c.jwtJwksUrl(), "the key set comes from discovery at start");
        assertTrue(c.identityProvider());
        assertFalse(c.localAccounts(), "one name, one identity: local accounts are off beside a provider");
        assertTrue(c.toString().contains("oidcIssuer=https://id.example.com/realms/acme, oidcClientId=chat-web, oidcName=id.example.com"), c::toString);
    }

    @Test
    void anExplicitIssuerAndJwksUrlOverrideWhatTheOidcIssuerImplies() {
        ChatConfig c = load(Map.of("CHAT_OIDC_ISSUER", "https://id.example.com/realms/acme", "CHAT_OIDC_CLIENT_ID", "chat-web",
                "CHAT_OIDC_NAME", "Acme Keycloak", "CHAT_JWT_ISSUER", "https://public.example.com/realms/acme",
                "CHAT_JWT_JWKS_URL", "http://keycloak:8080/realms/acme/protocol/openid-connect/certs"));
        assertEquals("https://public.example.com/realms/acme", c.jwtIssuer());
        assertEquals("http://keycloak:8080/realms/acme/protocol/openid-connect/certs", c.jwtJwksUrl().toString());
        assertEquals("Acme Keycloak", c.oidcName());
    }

    @Test
    void oidcSettingsAreValidatedTogether() {
        assertEquals(List.of("CHAT_OIDC_ISSUER needs CHAT_OIDC_CLIENT_ID: the public client the page signs in as"),
                rejected(Map.of("CHAT_OIDC_ISSUER", "https://id.example.com/realms/acme")).problems());
        assertTrue(rejected(Map.of("CHAT_OIDC_CLIENT_ID", "chat-web")).problems().get(0).contains("set CHAT_OIDC_ISSUER too"));
        for (String bad : List.of("ftp://id.example.com", "https://id.example.com/realms/acme?x=1", "https://id.example.com/#f", "id.example.com")) {
            assertTrue(rejected(Map.of("CHAT_OIDC_ISSUER", bad, "CHAT_OIDC_CLIENT_ID", "c")).problems().get(0)
                    .startsWith("CHAT_OIDC_ISSUER=" + bad + " is invalid"), bad);
        }
        assertTrue(rejected(Map.of("CHAT_OIDC_ISSUER", "https://id.example.com", "CHAT_OIDC_CLIENT_ID", "a client"))
                .problems().get(0).startsWith("CHAT_OIDC_CLIENT_ID=a client is invalid"));
        assertTrue(rejected(Map.of("CHAT_OIDC_ISSUER", "https://id.example.com", "CHAT_OIDC_CLIENT_ID", "c", "CHAT_OIDC_NAME", "a\u0007b"))
                .problems().get(0).startsWith("CHAT_OIDC_NAME"));
    }
}
