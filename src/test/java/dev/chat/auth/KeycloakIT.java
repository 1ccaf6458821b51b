package dev.chat.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.KeycloakServer;
import dev.chat.testing.KeycloakServer.Tokens;
import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.net.CookieHandler;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The embedded server beside a real Keycloak 26 (run with {@code -Pkeycloak}): the settings the
 * README gives for Keycloak ({@code CHAT_OIDC_ISSUER} a realm, {@code preferred_username},
 * {@code realm_access.roles}) make its access tokens connect, its realm role make an admin and its
 * other roles harmless, its discovery reach the page, and its newer tokens extend a connection.
 * One Keycloak for the class: its start takes half a minute.
 */
@EnabledIfSystemProperty(named = "chat.keycloak.home", matches = ".+", disabledReason = "run with -Pkeycloak")
@Timeout(300) // Keycloak's start (up to KeycloakServer.START_TIMEOUT) is part of the class
class KeycloakIT {
    private static final String REALM = "chat";
    private static final String TEST_CLIENT = "chat-tests";
    private static final String PAGE_CLIENT = "chat-page";
    private static final String AUDIENCE = "chat";
    private static final String ERIN = "erin@example.com";
    private static final String GRACE = "grace";
    private static KeycloakServer keycloak;
    private static TestServer server;

    @BeforeAll
    static void start() {
        keycloak = KeycloakServer.start();
        keycloak.createRealm(REALM, 60);
        keycloak.createRealmRole(REALM, "chat-admin");
        keycloak.createUser(REALM, "dave", "dave@example.com", "password-dave", "chat-admin");
        keycloak.createUser(REALM, ERIN, ERIN, "password-erin");
        keycloak.createUser(REALM, GRACE, "grace@example.com", "password-grace"); // signs in only through the page's client
        keycloak.createTestClient(REALM, TEST_CLIENT, AUDIENCE);
        server = TestServer.start(Map.of(
                "CHAT_OIDC_ISSUER", keycloak.issuer(REALM).toString(),
                "CHAT_OIDC_CLIENT_ID", PAGE_CLIENT,
                "CHAT_JWT_AUDIENCE", AUDIENCE,
                "CHAT_JWT_USER_CLAIM", "preferred_username",
                "CHAT_JWT_ROLES_CLAIM", "realm_access.roles",
                "CHAT_ADMIN_ROLES", "chat-admin"));
        // the page's client, which the server only names: created after its start, with its origin
        keycloak.createPublicClient(REALM, PAGE_CLIENT, server.origin() + "/", server.origin(), AUDIENCE);
    }

    @AfterAll
    static void stop() {
        try {
            if (server != null) {
                server.close();
            }
        } finally {
            if (keycloak != null) {
                keycloak.close();
            }
        }
    }

    private static Tokens tokens(String user) {
        return keycloak.passwordGrant(REALM, TEST_CLIENT, user, "password-" + user.split("@")[0]);
    }

    private static WsClient connect(String accessToken) throws Exception {
        return WsClient.connect(server.ws(accessToken), Map.of("Origin", server.origin()));
    }

    @Test
    void keycloaksAccessTokensCarryWhatTheServerIsConfiguredToRead() {
        Map<String, Object> claims = KeycloakServer.claims(tokens("dave").accessToken());
        assertEquals(keycloak.issuer(REALM).toString(), claims.get("iss"));
        assertTrue(((List<?>) claims.get("aud")).contains(AUDIENCE), () -> "aud: " + claims.get("aud"));
        assertEquals("dave", claims.get("preferred_username"));
        @SuppressWarnings("unchecked")
        List<String> roles = (List<String>) ((Map<String, Object>) claims.get("realm_access")).get("roles");
        assertTrue(roles.containsAll(List.of("chat-admin", "offline_access", "uma_authorization", "default-roles-chat")),
                () -> "realm_access.roles: " + roles);
        assertEquals(ERIN, KeycloakServer.claims(tokens(ERIN).accessToken()).get("preferred_username"));
    }

    @Test
    void keycloakUsersConnectUnderTheirPreferredUsernameAndExchangeADirectMessage() throws Exception {
        try (WsClient dave = connect(tokens("dave").accessToken()); WsClient erin = connect(tokens(ERIN).accessToken())) {
            assertEquals("dave", dave.welcome());
            assertEquals(ERIN, erin.welcome());
            dave.send(Map.of("type", "send", "to", ERIN, "text", "hi erin", "id", "d1"));
            assertEquals(ERIN, dave.expect("ack").get("to"));
            Map<String, Object> got = erin.expect("message");
            assertEquals("dave", got.get("from"));
            assertEquals("hi erin", got.get("text"));
            erin.send(Map.of("type", "send", "to", "dave", "text", "hi dave", "id", "e1"));
            assertEquals("dave", erin.expect("ack").get("to"));
            assertEquals(ERIN, dave.expect("message").get("from"));
        }
    }

    /** Kicking is the admin's only power: dave's chat-admin allows it; erin's default Keycloak roles are ignored, not fatal. */
    @Test
    void theRealmRoleChatAdminMakesAnAdminAndKeycloaksOtherRolesAPlainUser() throws Exception {
        String room = "kc-kick";
        try (WsClient dave = connect(tokens("dave").accessToken()); WsClient erin = connect(tokens(ERIN).accessToken())) {
            dave.welcome();
            erin.welcome();
            dave.join(room);
            erin.join(room);
            assertEquals(Map.of("type", "presence", "room", room, "user", ERIN, "state", "joined"), dave.next());

            erin.send(Map.of("type", "kick", "room", room, "user", "dave", "id", "k0"));
            Map<String, Object> refused = erin.expect("error");
            assertEquals("forbidden", refused.get("code"), () -> "erin is no admin: " + refused);

            dave.send(Map.of("type", "kick", "room", room, "user", ERIN, "id", "k1"));
            Map<String, Object> kicked;
            while (!"kicked".equals((kicked = dave.next()).get("type"))) {
                // erin leaving may be announced to dave before or after his reply
                assertEquals(Map.of("type", "presence", "room", room, "user", ERIN, "state", "left"), kicked);
            }
            assertEquals(Map.of("type", "kicked", "room", room, "user", ERIN, "id", "k1"), kicked);
            assertEquals(Map.of("type", "removed", "room", room, "by", "dave", "reason", "kicked"), erin.next());
        }
    }

    @Test
    void apiAuthNamesKeycloaksDiscoveredEndpointsAndLocalAccountsAreOff() throws Exception {
        HttpResponse<String> r = server.get("api/auth");
        assertEquals(200, r.statusCode(), r::body);
        String iss = keycloak.issuer(REALM).toString();
        String oidc = iss + "/protocol/openid-connect";
        assertEquals(Map.of("localAccounts", false, "registration", false, "provider", Map.of(
                "name", "127.0.0.1", "issuer", iss, "clientId", PAGE_CLIENT,
                "authorizationEndpoint", oidc + "/auth", "tokenEndpoint", oidc + "/token",
                "endSessionEndpoint", oidc + "/logout", "userClaim", "preferred_username")), TestServer.json(r.body()));

        HttpResponse<String> register = server.post("api/register", TestServer.credentials("frank", "password-frank"));
        assertEquals(403, register.statusCode(), register::body);
        assertEquals(Map.of("error", "local accounts are off: sign in with the identity provider"), TestServer.json(register.body()));
    }

    /** Both ways a client gets a newer Keycloak token, a new sign-in and the refresh_token grant, extend the connection. */
    @Test
    void aRefreshFrameWithANewerKeycloakTokenKeepsTheConnectionAndMovesItsExpiry() throws Exception {
        Tokens first = tokens("dave");
        try (WsClient dave = connect(first.accessToken())) {
            dave.welcome();
            for (String newer : List.of(tokens("dave").accessToken(),
                    keycloak.refreshGrant(REALM, TEST_CLIENT, first.refreshToken()).accessToken())) {
                String id = dave.nextId();
                dave.send(Map.of("type", "refresh", "token", newer, "id", id));
                Instant exp = Instant.ofEpochSecond(((Number) KeycloakServer.claims(newer).get("exp")).longValue());
                assertEquals(Map.of("type", "refreshed", "expiresAt", exp.toString(), "id", id), dave.next());
            }
            String id = dave.nextId();
            dave.send(Map.of("type", "refresh", "token", tokens(ERIN).accessToken(), "id", id));
            Map<String, Object> refused = dave.expect("error");
            assertEquals("unauthorized", refused.get("code"), () -> "erin's token on dave's connection: " + refused);
            dave.join("kc-after-refresh"); // and the connection is still usable
            assertFalse(dave.isClosed());
        }
    }

    /**
     * What the page will do, without a browser: the authorization code flow with PKCE on the page's
     * client. A first sign-in goes straight back to the page (no form asking for a profile or a new
     * password), the code is traded cross-origin (CORS allows the page's origin), and the token connects.
     */
    @Test
    void thePagesClientSignsInWithACodeAndPkceAndItsTokenConnects() throws Exception {
        HttpClient browser = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .cookieHandler(new LoopbackCookies()).followRedirects(HttpClient.Redirect.NEVER).build();
        String redirect = server.origin() + "/";
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String verifier = b64.encodeToString(random);
        String challenge = b64.encodeToString(MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII)));
        String auth = keycloak.issuer(REALM) + "/protocol/openid-connect/auth?" + form(Map.of("client_id", PAGE_CLIENT,
                "redirect_uri", redirect, "response_type", "code", "scope", "openid", "state", "st-1",
                "code_challenge", challenge, "code_challenge_method", "S256"));

        HttpResponse<String> loginPage = browser.send(HttpRequest.newBuilder(URI.create(auth)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, loginPage.statusCode(), loginPage::body);
        Matcher action = Pattern.compile("<form[^>]*id=\"kc-form-login\"[^>]*action=\"([^\"]+)\"").matcher(loginPage.body());
        assertTrue(action.find(), () -> "no login form in " + loginPage.body());
        HttpResponse<String> signedIn = browser.send(HttpRequest.newBuilder(URI.create(action.group(1).replace("&amp;", "&")))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form(Map.of("username", GRACE, "password", "password-grace", "credentialId", "")))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(302, signedIn.statusCode(), () -> "a first sign-in must go straight back to the page, got " + signedIn.body());
        URI back = URI.create(signedIn.headers().firstValue("Location").orElseThrow());
        assertTrue(back.toString().startsWith(redirect + "?"), back::toString);
        Map<String, String> query = Arrays.stream(back.getRawQuery().split("&")).map(kv -> kv.split("=", 2))
                .collect(Collectors.toMap(kv -> kv[0], kv -> URLDecoder.decode(kv[1], StandardCharsets.UTF_8)));
        assertEquals("st-1", query.get("state"));

        HttpResponse<String> traded = browser.send(HttpRequest.newBuilder(keycloak.tokenEndpoint(REALM))
                .header("Origin", server.origin()).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form(Map.of("grant_type", "authorization_code", "code", query.get("code"),
                        "redirect_uri", redirect, "client_id", PAGE_CLIENT, "code_verifier", verifier)))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, traded.statusCode(), traded::body);
        assertEquals(server.origin(), traded.headers().firstValue("Access-Control-Allow-Origin").orElse(null), "CORS for the page");
        String accessToken = (String) TestServer.json(traded.body()).get("access_token");
        Map<String, Object> claims = KeycloakServer.claims(accessToken);
        assertEquals(PAGE_CLIENT, claims.get("azp"));
        assertTrue(((List<?>) claims.get("aud")).contains(AUDIENCE), () -> "aud: " + claims.get("aud"));
        try (WsClient grace = connect(accessToken)) {
            assertEquals(GRACE, grace.welcome());
        }
    }

    /** The page's client has no password grant: only the code flow (and its refresh tokens). */
    @Test
    void thePagesClientRefusesThePasswordGrant() {
        IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> keycloak.passwordGrant(REALM, PAGE_CLIENT, "dave", "password-dave"));
        assertTrue(refused.getMessage().contains("unauthorized_client"), refused::getMessage);
    }

    private static String form(Map<String, String> fields) {
        return fields.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
    }

    /**
     * Keycloak 26 marks its login cookies {@code Secure; SameSite=None} even over plain http, and
     * the JDK's CookieManager rightly never sends a Secure cookie over http. Browsers treat
     * loopback as a secure context and do send them, so this jar does too: every cookie, by name,
     * to every request (there is one site here, Keycloak's).
     */
    private static final class LoopbackCookies extends CookieHandler {
        private final Map<String, String> cookies = new LinkedHashMap<>();

        @Override
        public Map<String, List<String>> get(URI uri, Map<String, List<String>> requestHeaders) {
            return cookies.isEmpty() ? Map.of() : Map.of("Cookie", List.of(cookies.entrySet().stream()
                    .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining("; "))));
        }

        @Override
        public void put(URI uri, Map<String, List<String>> responseHeaders) {
            responseHeaders.forEach((name, values) -> {
                if ("Set-Cookie".equalsIgnoreCase(name)) {
                    for (String cookie : values) {
                        String pair = cookie.split(";", 2)[0];
                        int eq = pair.indexOf('=');
                        cookies.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
                    }
                }
            });
        }
    }
}
