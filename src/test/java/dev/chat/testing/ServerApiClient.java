package dev.chat.testing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** A backend calling the server API of one node ({@code base}: the node's root) with one key's secret. */
public record ServerApiClient(URI base, String secret) {
    /** A secret of the required 32 bytes and more, for {@code CHAT_API_KEYS=tests:<SECRET>}. */
    public static final String SECRET = "server-api-secret-0123456789abcdef";
    public static final String KEYS = "tests:" + SECRET;
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    public static ServerApiClient of(URI base) {
        return new ServerApiClient(base, SECRET);
    }

    public HttpResponse<String> get(String path) throws Exception {
        return call("GET", path, null);
    }

    public HttpResponse<String> post(String path, String json) throws Exception {
        return call("POST", path, json);
    }

    /** {@code path} below {@code api/server/}; {@code json} null for no body; the key as a Bearer secret unless it is null. */
    public HttpResponse<String> call(String method, String path, String json, String... headers) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(base.resolve("api/server/" + path)).timeout(Duration.ofSeconds(20))
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            r.header("Content-Type", "application/json");
        }
        if (secret != null) {
            r.header("Authorization", "Bearer " + secret);
        }
        for (int i = 0; i < headers.length; i += 2) {
            r.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The answer's JSON object. */
    public static Map<String, Object> json(HttpResponse<String> r) {
        return TestServer.json(r.body());
    }
}
