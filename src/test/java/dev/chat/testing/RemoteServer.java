package dev.chat.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/**
 * A chat node somewhere else, known only by its base URL (for a deployed WAR
 * {@code http://127.0.0.1:PORT/chat/}), with the same HTTP and WebSocket helpers as
 * {@link TestServer}: register, login, connect. Nothing here touches the node's internals, so the
 * tests that use it run unchanged against any runtime.
 */
public final class RemoteServer {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    private final URI base;

    /** @param base the application's root, with a trailing slash */
    public RemoteServer(URI base) {
        if (!base.getPath().endsWith("/")) {
            throw new IllegalArgumentException("the base URL must end with '/': " + base);
        }
        this.base = base;
    }

    public URI base() {
        return base;
    }

    /** The endpoint {@code ws}, relative to the base, with the token as {@code access_token} when not null. */
    public URI ws(String token) {
        String query = token == null ? "" : "?access_token=" + URLEncoder.encode(token, StandardCharsets.UTF_8);
        return URI.create("ws://" + base.getAuthority() + base.getPath() + "ws" + query);
    }

    /** The page's own origin (what a browser on the chat page sends). */
    public String origin() {
        return base.getScheme() + "://" + base.getAuthority();
    }

    public HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(base.resolve(path)).timeout(WsClient.WAIT).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> post(String path, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(base.resolve(path)).timeout(WsClient.WAIT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** Registers (201) and logs in (200) a user; returns the token. */
    public String token(String user) throws Exception {
        HttpResponse<String> register = post("api/register", TestServer.credentials(user, "password-" + user));
        assertEquals(201, register.statusCode(), register::body);
        return login(user);
    }

    public String login(String user) throws Exception {
        HttpResponse<String> login = post("api/login", TestServer.credentials(user, "password-" + user));
        assertEquals(200, login.statusCode(), login::body);
        return (String) TestServer.json(login.body()).get("token");
    }

    /** A connected client, sending the page's Origin, that has read its welcome frame. */
    public WsClient client(String token) throws Exception {
        WsClient client = WsClient.connect(ws(token), Map.of("Origin", origin()));
        client.welcome();
        return client;
    }
}
