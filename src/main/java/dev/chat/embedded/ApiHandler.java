package dev.chat.embedded;

import dev.chat.web.HttpApi;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.glassfish.grizzly.http.server.HttpHandler;
import org.glassfish.grizzly.http.server.Request;
import org.glassfish.grizzly.http.server.Response;

/** The HTTP API and operations endpoints in the embedded server: hands each request to {@link HttpApi}. */
final class ApiHandler extends HttpHandler {
    private final HttpApi api;

    ApiHandler(HttpApi api) {
        this.api = api;
    }

    @Override
    public void service(Request request, Response response) throws Exception {
        String path = request.getRequestURI().replaceFirst("^/", "");
        byte[] body;
        try (InputStream in = request.getInputStream()) {
            body = in.readNBytes(HttpApi.MAX_BODY_BYTES + 1);
        }
        HttpApi.Response answer = api.handle(request.getMethod().getMethodString(), path,
                body.length > HttpApi.MAX_BODY_BYTES ? null : body, request.getRemoteAddr());
        response.setStatus(answer.status());
        response.setContentType(answer.contentType());
        for (Map.Entry<String, String> h : HttpApi.HEADERS) {
            response.setHeader(h.getKey(), h.getValue());
        }
        answer.headers().forEach(response::setHeader);
        byte[] out = answer.body().getBytes(StandardCharsets.UTF_8);
        response.setContentLength(out.length);
        response.getOutputStream().write(out);
    }
}
