package dev.chat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jwt.SignedJWT;
import dev.chat.testing.SeededUsers;
import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Sessions of local accounts over real HTTP and WebSockets: the refresh cookie and its attributes,
 * rotation, reuse detection, expiry, logout (one session, everywhere: 4503 on open connections, and
 * the access token of an ended session cannot connect again), a password change, and the Origin
 * rule for cookie-authenticated requests.
 */
@Timeout(120)
class SessionsTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("CHAT_TRUSTED_PROXIES", "10.9.9.9"),
                SeededUsers.create("ann", "bea", "cid", "dot", "eve", "fay", "gus", "hal", "ida").dataDir());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** A login's answer: its access token and the refresh cookie's value. */
    private record Login(String token, String cookie, HttpResponse<String> response) { }

    private static HttpResponse<String> post(String path, String body, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.base().resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(b::header);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Map<String, String> page(String cookie) {
        Map<String, String> h = new HashMap<>();
        h.put("Origin", server.origin());
        if (cookie != null) {
            h.put("Cookie", "other=1; chat_refresh=" + cookie);
        }
        return h;
    }

    private static Login login(String user) throws Exception {
        HttpResponse<String> r = post("api/login", TestServer.credentials(user, "password-" + user), page(null));
        assertEquals(200, r.statusCode(), r::body);
        return new Login((String) TestServer.json(r.body()).get("token"), cookieValue(r).orElseThrow(), r);
    }

    private static Optional<String> setCookie(HttpResponse<String> r) {
        return r.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith("chat_refresh=")).findFirst();
    }

    private static Optional<String> cookieValue(HttpResponse<String> r) {
        return setCookie(r).map(c -> c.substring("chat_refresh=".length(), c.indexOf(';')));
    }

    private static HttpResponse<String> refresh(String cookie) throws Exception {
        return post("api/refresh", "{}", page(cookie));
    }

    private static WsClient connect(String token) throws Exception {
        return WsClient.connect(server.ws(token), Map.of("Origin", server.origin()));
    }

    private static void assertCannotConnect(String token) throws Exception {
        try (WsClient c = connect(token)) {
            WsClient.assertCode(4503, c);
            assertTrue(c.drain().isEmpty(), "no frame may precede the close");
        }
    }

    @Test
    void loginSetsAnHttpOnlyStrictCookieOnTheApiPathSecureOnlyBehindHttps() throws Exception {
        Login l = login("ann");
        String cookie = setCookie(l.response()).orElseThrow();
        assertTrue(l.cookie().length() >= 22, "at least 128 bits");
        List<String> attributes = List.of(cookie.split(";\\s*"));
        assertTrue(attributes.contains("Path=/api"), cookie);
        assertTrue(attributes.contains("HttpOnly"), cookie);
        assertTrue(attributes.contains("SameSite=Strict"), cookie);
        assertTrue(attributes.contains("Max-Age=" + Duration.ofDays(30).toSeconds()), cookie);
        assertFalse(attributes.contains("Secure"), "plain HTTP: " + cookie);
        assertFalse(TestServer.json(l.response().body()).containsKey("refreshToken"), "a browser gets it only as a cookie");
        // X-Forwarded-Proto from a peer that is no trusted proxy (127.0.0.1 here) is not believed
        Map<String, String> forwarded = page(null);
        forwarded.put("X-Forwarded-Proto", "https");
        HttpResponse<String> r = post("api/login", TestServer.credentials("ann", "password-ann"), forwarded);
        assertFalse(List.of(setCookie(r).orElseThrow().split(";\\s*")).contains("Secure"));
        String sid = SignedJWT.parse(l.token()).getJWTClaimsSet().getStringClaim("sid");
        assertNotNull(sid, "the access token names its session");
        assertFalse(l.cookie().contains(sid), "the refresh token is not derived from the session id");
    }

    @Test
    void refreshRotatesTheCookieAndGivesANewAccessTokenOfTheSameSession() throws Exception {
        Login l = login("bea");
        HttpResponse<String> r = refresh(l.cookie());
        assertEquals(200, r.statusCode(), r::body);
        Map<String, Object> body = TestServer.json(r.body());
        assertEquals(900, ((Number) body.get("expiresIn")).intValue());
        String rotated = cookieValue(r).orElseThrow();
        assertNotEquals(l.cookie(), rotated);
        assertEquals(SignedJWT.parse(l.token()).getJWTClaimsSet().getStringClaim("sid"),
                SignedJWT.parse((String) body.get("token")).getJWTClaimsSet().getStringClaim("sid"));
        try (WsClient c = connect((String) body.get("token"))) {
            assertEquals("bea", c.expect("welcome").get("user"));
        }
        assertEquals(200, refresh(rotated).statusCode(), "the rotated token works once");
    }

    @Test
    void reusingARotatedOutTokenRevokesTheWholeSessionAndItsNewestToken() throws Exception {
        Login l = login("cid");
        HttpResponse<String> first = refresh(l.cookie());
        String newest = cookieValue(first).orElseThrow();
        String newestAccess = (String) TestServer.json(first.body()).get("token");
        try (WsClient open = connect(newestAccess)) {
            open.expect("welcome");
            HttpResponse<String> reused = refresh(l.cookie());
            assertEquals(401, reused.statusCode());
            assertTrue(setCookie(reused).orElseThrow().contains("Max-Age=0"), "the cookie is cleared");
            WsClient.assertCode(4503, open);
        }
        assertEquals(401, refresh(newest).statusCode(), "the thief's (or the user's) newest token died with the session");
        assertCannotConnect(newestAccess);
        assertCannotConnect(l.token());
    }

    @Test
    void anUnknownTokenIs401AndRevokesNothing() throws Exception {
        Login l = login("cid");
        assertEquals(401, refresh("A".repeat(43)).statusCode());
        assertEquals(401, post("api/refresh", "{}", page(null)).statusCode(), "no token at all");
        assertEquals(200, refresh(l.cookie()).statusCode());
    }

    @Test
    void logoutEndsThisSessionOnlyAndClosesItsConnectionsWith4503() throws Exception {
        Login one = login("dot");
        Login two = login("dot");
        try (WsClient first = connect(one.token()); WsClient second = connect(two.token())) {
            first.expect("welcome");
            second.expect("welcome");
            HttpResponse<String> out = post("api/logout", "{}", page(one.cookie()));
            assertEquals(200, out.statusCode(), out::body);
            assertEquals(1, ((Number) TestServer.json(out.body()).get("sessionsEnded")).intValue());
            assertTrue(setCookie(out).orElseThrow().contains("Max-Age=0"));
            WsClient.assertCode(4503, first);
            assertNull(second.poll(Duration.ofMillis(500)), "the other session's connection stays");
            assertFalse(second.isClosed());
        }
        assertEquals(401, refresh(one.cookie()).statusCode());
        assertEquals(200, refresh(two.cookie()).statusCode());
        assertCannotConnect(one.token());
    }

    @Test
    void logoutEverywhereClosesEveryConnectionWith4503AndTheirTokensCannotReconnect() throws Exception {
        Login one = login("eve");
        Login two = login("eve");
        String seeded = SeededUsers.token("eve"); // a token of no session: its connection is closed too
        try (WsClient a = connect(one.token()); WsClient b = connect(two.token()); WsClient c = connect(seeded);
             WsClient other = connect(login("fay").token())) {
            a.expect("welcome");
            b.expect("welcome");
            c.expect("welcome");
            other.expect("welcome");
            Map<String, String> bearer = Map.of("Authorization", "Bearer " + two.token());
            HttpResponse<String> out = post("api/logout", "{\"everywhere\":true}", bearer);
            assertEquals(200, out.statusCode(), out::body);
            assertEquals(2, ((Number) TestServer.json(out.body()).get("sessionsEnded")).intValue());
            WsClient.assertCode(4503, a);
            WsClient.assertCode(4503, b);
            WsClient.assertCode(4503, c);
            assertFalse(other.isClosed(), "another user's connection stays");
        }
        assertCannotConnect(one.token());
        assertCannotConnect(two.token());
        assertEquals(401, refresh(one.cookie()).statusCode());
        assertEquals(401, refresh(two.cookie()).statusCode());
    }

    @Test
    void aPasswordChangeEndsTheOtherSessionsAndKeepsThisOne() throws Exception {
        Login here = login("gus");
        Login elsewhere = login("gus");
        try (WsClient mine = connect(here.token()); WsClient theirs = connect(elsewhere.token())) {
            mine.expect("welcome");
            theirs.expect("welcome");
            Map<String, String> bearer = Map.of("Authorization", "Bearer " + here.token());
            assertEquals(403, post("api/password", "{\"password\":\"wrong-one\",\"newPassword\":\"new-password-gus\"}", bearer)
                    .statusCode(), "the current password is required");
            assertEquals(401, post("api/password", "{\"password\":\"password-gus\",\"newPassword\":\"new-password-gus\"}", Map.of())
                    .statusCode(), "and a session");
            HttpResponse<String> changed = post("api/password",
                    "{\"password\":\"password-gus\",\"newPassword\":\"new-password-gus\"}", bearer);
            assertEquals(200, changed.statusCode(), changed::body);
            assertEquals(1, ((Number) TestServer.json(changed.body()).get("sessionsEnded")).intValue());
            WsClient.assertCode(4503, theirs);
            assertFalse(mine.isClosed(), "this session's connection stays");
        }
        assertEquals(401, refresh(elsewhere.cookie()).statusCode());
        assertEquals(200, refresh(here.cookie()).statusCode());
        assertEquals(401, post("api/login", TestServer.credentials("gus", "password-gus"), page(null)).statusCode());
        assertEquals(200, post("api/login", TestServer.credentials("gus", "new-password-gus"), page(null)).statusCode());
    }

    @Test
    void aCookieRequestFromAForeignOriginOrWithoutOneIs403() throws Exception {
        Login l = login("hal");
        Map<String, String> foreign = Map.of("Origin", "http://evil.example", "Cookie", "chat_refresh=" + l.cookie());
        for (String path : List.of("api/refresh", "api/logout", "api/password")) {
            assertEquals(403, post(path, "{\"password\":\"password-hal\",\"newPassword\":\"x-password-hal\"}", foreign).statusCode(), path);
            assertEquals(403, post(path, "{\"password\":\"password-hal\",\"newPassword\":\"x-password-hal\"}",
                    Map.of("Cookie", "chat_refresh=" + l.cookie())).statusCode(), path + " without Origin");
        }
        assertEquals(200, refresh(l.cookie()).statusCode(), "nothing above touched the session");
    }

    @Test
    void aClientThatAsksGetsTheRefreshTokenInTheBodyAndSendsItBackThere() throws Exception {
        HttpResponse<String> r = post("api/login",
                "{\"username\":\"ida\",\"password\":\"password-ida\",\"refreshToken\":true}", Map.of());
        assertEquals(200, r.statusCode(), r::body);
        assertTrue(setCookie(r).isEmpty(), "no cookie for a client that asked for the body");
        Map<String, Object> body = TestServer.json(r.body());
        String refreshToken = (String) body.get("refreshToken");
        assertEquals(Duration.ofDays(30).toSeconds(), ((Number) body.get("refreshExpiresIn")).longValue());
        HttpResponse<String> next = post("api/refresh", "{\"refreshToken\":\"" + refreshToken + "\"}", Map.of());
        assertEquals(200, next.statusCode(), next::body);
        String rotated = (String) TestServer.json(next.body()).get("refreshToken");
        assertNotEquals(refreshToken, rotated);
        assertEquals(401, post("api/refresh", "{\"refreshToken\":\"" + refreshToken + "\"}", Map.of()).statusCode());
        assertEquals(401, post("api/refresh", "{\"refreshToken\":\"" + rotated + "\"}", Map.of()).statusCode(),
                "the reuse revoked the session");
    }
}
