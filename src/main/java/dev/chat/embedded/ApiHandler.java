package dev.chat.embedded;

import dev.chat.log.LogSampler;
import dev.chat.web.HttpApi;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.glassfish.grizzly.http.server.HttpHandler;
import org.glassfish.grizzly.http.server.Request;
import org.glassfish.grizzly.http.server.Response;

/**
 * The HTTP API and operations endpoints in the embedded server: hands each request to {@link HttpApi}
 * once {@link RequestBody} has its body, which no worker thread waits for.
 */
final class ApiHandler extends HttpHandler {
    private final HttpApi api;
    private final Duration bodyTimeout;
    private final LogSampler logs;
    private final boolean operations;

    /**
     * @param operations whether {@code metrics} and {@code health/*} are answered here; false on the chat
     *                   port beside a {@code CHAT_MANAGEMENT_PORT}, where they answer 404 as if they did not exist
     */
    ApiHandler(HttpApi api, Duration bodyTimeout, LogSampler logs, boolean operations) {
        this.api = api;
        this.bodyTimeout = bodyTimeout;
        this.logs = logs;
        this.operations = operations;
    }

    @Override
    public void service(Request request, Response response) throws IOException {
        // read now: the request is recycled once the response is resumed
        String method = request.getMethod().getMethodString();
        String path = request.getRequestURI().replaceFirst("^/", "");
        String query = request.getQueryString();
        if (!operations && !path.startsWith("api/")) {
            write(response, api.notFound());
            return;
        }
        String address = request.getRemoteAddr();
        java.util.List<String> forwardedFor = new java.util.ArrayList<>();
        request.getHeaders("X-Forwarded-For").forEach(forwardedFor::add);
        java.util.List<String> forwarded = new java.util.ArrayList<>();
        request.getHeaders("Forwarded").forEach(forwarded::add);
        HttpApi.Headers headers = new HttpApi.Headers(request.getContentType(), request.getHeader("Origin"), request.getHeader("Host"),
                forwardedFor, request.getHeader("Cookie"), request.getHeader("Authorization"), request.getHeader("X-Forwarded-Proto"),
                request.isSecure(), "", forwarded);
        RequestBody.read(request, response, bodyTimeout, HttpApi.MAX_BODY_BYTES, (body, failure) -> write(response,
                failure == null ? api.handle(method, path, query, body, address, headers)
                        : failure == RequestBody.Failure.TIMED_OUT ? api.bodyTimedOut() : api.bodyUnreadable()), logs);
    }

    private static void write(Response response, HttpApi.Response answer) throws IOException {
        response.setStatus(answer.status());
        response.setContentType(answer.contentType());
        for (Map.Entry<String, String> h : HttpApi.HEADERS) {
            response.setHeader(h.getKey(), h.getValue());
        }
        answer.headers().forEach(response::setHeader);
        answer.cookies().forEach(c -> response.addHeader("Set-Cookie", c));
        byte[] out = answer.body().getBytes(StandardCharsets.UTF_8);
        response.setContentLength(out.length);
        response.getOutputStream().write(out);
    }
}
