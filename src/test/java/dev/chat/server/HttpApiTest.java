package dev.chat.server;

import static dev.chat.testing.TestServer.credentials;
import static dev.chat.testing.TestServer.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.chat.testing.TestServer;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Register, login and the page over real HTTP against the embedded server. */
@Timeout(60)
class HttpApiTest {
    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void registerAnswers201WithTheName() throws Exception {
        HttpResponse<String> r = server.post("api/register", credentials("reg.ok_1", "password1"));
        assertEquals(201, r.statusCode());
        assertEquals(Map.of("username", "reg.ok_1"), json(r.body()));
        assertEquals("application/json; charset=utf-8", r.headers().firstValue("Content-Type").orElse(""));
    }

    @Test
    void registerTwiceIs409() throws Exception {
        assertEquals(201, server.post("api/register", credentials("twice", "password1")).statusCode());
        HttpResponse<String> again = server.post("api/register", credentials("twice", "otherpassword"));
        assertEquals(409, again.statusCode());
        assertEquals("username is taken", json(again.body()).get("error"));
    }

    @Test
    void invalidNamesAre400() throws Exception {
        for (String name : List.of("", "has space", "x".repeat(33), "<script>", "ünï")) {
            HttpResponse<String> r = server.post("api/register", credentials(name, "password1"));
            assertEquals(400, r.statusCode(), name);
            assertEquals("username must match ^[A-Za-z0-9_.-]{1,32}$", json(r.body()).get("error"));
        }
    }

    @Test
    void shortPasswordIs400() throws Exception {
        HttpResponse<String> r = server.post("api/register", credentials("shortpw", "1234567"));
        assertEquals(400, r.statusCode());
        assertTrue(((String) json(r.body()).get("error")).startsWith("password must be 8 to"));
    }

    @Test
    void malformedBodiesAre400() throws Exception {
        for (String body : List.of("", "not json", "[]", "{\"username\":\"a\"}", "{\"username\":1,\"password\":\"password1\"}",
                "{\"username\":\"abc\",\"password\":null}")) {
            for (String path : List.of("api/register", "api/login")) {
                HttpResponse<String> r = server.post(path, body);
                assertEquals(400, r.statusCode(), path + " " + body);
                assertTrue(json(r.body()).containsKey("error"));
            }
        }
    }

    /** 8 000 brackets once overflowed the JSON parser's stack: an HTML 500 page naming the server. */
    @Test
    void deeplyNestedOrHugeNumberBodiesAreJson400s() throws Exception {
        for (String body : List.of("{\"username\":" + "[".repeat(8000) + "}", "{\"username\":" + "9".repeat(10_000) + "}")) {
            for (String path : List.of("api/login", "api/register")) {
                HttpResponse<String> r = server.post(path, body);
                assertEquals(400, r.statusCode(), path);
                assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), path);
                assertTrue(json(r.body()).containsKey("error"), r.body());
            }
        }
    }

    private static HttpResponse<String> postAs(String path, String contentType, String origin) throws Exception {
        java.net.http.HttpRequest.Builder b = java.net.http.HttpRequest.newBuilder(java.net.URI.create(server.origin() + "/" + path))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(credentials("cross-site", "password1")));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        if (origin != null) {
            b.header("Origin", origin);
        }
        return java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1).build()
                .send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Any web page could post a form or text/plain login from its visitors' browsers (a lockout, or a
     * registration, in their name and from their address): only JSON from the page's own origin is taken.
     */
    @Test
    void apiPostsMustBeJsonAndFromAnAllowedOrigin() throws Exception {
        for (String path : List.of("api/login", "api/register")) {
            for (String type : new String[] {null, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"}) {
                HttpResponse<String> r = postAs(path, type, null);
                assertEquals(415, r.statusCode(), path + " as " + type);
                assertEquals("use Content-Type: application/json", json(r.body()).get("error"));
            }
            HttpResponse<String> foreign = postAs(path, "application/json", "https://evil.example");
            assertEquals(403, foreign.statusCode(), path);
            assertEquals(403, postAs(path, "application/json", "null").statusCode(), path + " from a sandboxed frame");
        }
        assertEquals(201, postAs("api/register", "application/json; charset=utf-8", server.origin()).statusCode(), "the page's own");
        assertEquals(200, postAs("api/login", "Application/JSON", null).statusCode(), "a client that is no browser");
    }

    @Test
    void oversizeBodyIs413() throws Exception {
        HttpResponse<String> r = server.post("api/register", "{\"username\":\"" + "a".repeat(20_000) + "\"}");
        assertEquals(413, r.statusCode());
    }

    @Test
    void loginReturnsAnHs256TokenWithSubIatExpAndRole() throws Exception {
        server.post("api/register", credentials("tok", "password1"));
        HttpResponse<String> r = server.post("api/login", credentials("tok", "password1"));
        assertEquals(200, r.statusCode());
        Map<String, Object> body = json(r.body());
        assertEquals(900, ((Number) body.get("expiresIn")).intValue());
        SignedJWT jwt = SignedJWT.parse((String) body.get("token"));
        assertEquals("HS256", jwt.getHeader().getAlgorithm().getName());
        JWTClaimsSet claims = jwt.getJWTClaimsSet();
        assertEquals("tok", claims.getSubject());
        assertEquals("user", claims.getStringClaim("role"));
        assertEquals(900, (claims.getExpirationTime().getTime() - claims.getIssueTime().getTime()) / 1000);
        assertEquals("no-store", r.headers().firstValue("Cache-Control").orElse(""));
    }

    @Test
    void wrongPasswordAndUnknownUserAreTheSame401() throws Exception {
        server.post("api/register", credentials("known", "password1"));
        HttpResponse<String> wrong = server.post("api/login", credentials("known", "password2"));
        HttpResponse<String> unknown = server.post("api/login", credentials("nobody-here", "password1"));
        assertEquals(401, wrong.statusCode());
        assertEquals(401, unknown.statusCode());
        assertEquals(Map.of("error", "invalid credentials"), json(wrong.body()));
        assertEquals(wrong.body(), unknown.body());
    }

    @Test
    void unknownPathIs404AndWrongMethodIs405() throws Exception {
        assertEquals(404, server.post("api/nothing", "{}").statusCode());
        assertEquals(405, server.get("api/login").statusCode());
    }

    @Test
    void theProtocolTablesAreServedForThePage() throws Exception {
        HttpResponse<String> r = server.get("api/protocol");
        assertEquals(200, r.statusCode());
        Map<String, Object> body = json(r.body());
        assertEquals(1, ((Number) body.get("protocol")).intValue());
        assertTrue(String.valueOf(body.get("version")).matches("\\d+\\.\\d+\\.\\d+(-SNAPSHOT)?"), r::body);
        assertEquals(4096, ((Number) body.get("maxText")).intValue());
        assertEquals(Map.of("perSec", 20, "burst", 40), ((Map<?, ?>) body.get("rate")).entrySet().stream()
                .collect(java.util.stream.Collectors.toMap(e -> e.getKey(), e -> ((Number) e.getValue()).intValue())),
                "the page paces its sends within these");
        assertTrue(r.body().contains("{\"code\":1002,\"name\":\"protocol_error\",\"reconnect\":false"), r.body());
        assertTrue(r.body().contains("{\"code\":4500,\"name\":\"unauthorized\",\"reconnect\":false"), r.body());
    }

    @Test
    void thePageIsServedAtTheRoot() throws Exception {
        HttpResponse<String> r = server.get("");
        assertEquals(200, r.statusCode());
        assertTrue(r.body().contains("<script type=\"module\" src=\"app.js\""), r.body());
        assertEquals(200, server.get("app.js").statusCode());
    }
}
