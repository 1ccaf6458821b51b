package dev.chat.war;

import dev.chat.app.ChatApp;
import dev.chat.web.HttpApi;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The HTTP API and operations endpoints in the WAR: hands each request to {@link HttpApi}. A request
 * with a body is answered once {@link ServletBody} has it, without a worker waiting for its bytes;
 * one without is answered at once. The body's deadline is {@code CHAT_HTTP_TIMEOUT}, as in the jar.
 */
@WebServlet(urlPatterns = {"/api/*", "/metrics", "/health/*"}, asyncSupported = true)
public final class ApiServlet extends HttpServlet {
    /** The body deadlines; one thread that only answers 408s. */
    private ScheduledExecutorService bodyTimeouts;

    @Override
    public void init() {
        bodyTimeouts = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "chat-body-timeouts");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public void destroy() {
        bodyTimeouts.shutdownNow();
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        ChatApp app = (ChatApp) getServletContext().getAttribute(ChatApp.class.getName());
        HttpApi api = app.httpApi();
        String method = req.getMethod();
        String path = path(req);
        String query = req.getQueryString();
        String address = req.getRemoteAddr();
        HttpApi.Headers headers = new HttpApi.Headers(req.getContentType(), req.getHeader("Origin"), req.getHeader("Host"),
                java.util.Collections.list(req.getHeaders("X-Forwarded-For")), req.getHeader("Cookie"),
                req.getHeader("Authorization"), req.getHeader("X-Forwarded-Proto"), req.isSecure(), req.getContextPath(),
                java.util.Collections.list(req.getHeaders("Forwarded")));
        if (req.getContentLengthLong() == 0 || (req.getContentLengthLong() < 0 && req.getHeader("Transfer-Encoding") == null)) {
            write(resp, api.handle(method, path, query, new byte[0], address, headers), false);
            return;
        }
        ServletBody.read(req, app.config().httpTimeout(), bodyTimeouts, HttpApi.MAX_BODY_BYTES, (body, failure) -> write(resp,
                failure == null ? api.handle(method, path, query, body, address, headers)
                        : failure == ServletBody.Failure.TIMED_OUT ? api.bodyTimedOut() : api.bodyUnreadable(),
                failure != null || body == null), app.logSampler());
    }

    /**
     * The path below the context root, decoded; the server API's raw, as the jar has it (it decodes
     * its own path segments: a user name may hold a '%').
     */
    private static String path(HttpServletRequest req) {
        String path = (req.getServletPath() + (req.getPathInfo() == null ? "" : req.getPathInfo())).replaceFirst("^/", "");
        if (path.startsWith("api/server/")) {
            String raw = req.getRequestURI();
            int root = raw.indexOf("/api/server/");
            return root < 0 ? path : raw.substring(root + 1);
        }
        return path;
    }

    /** @param close whether the connection should end after it: the rest of its body is not coming, or not wanted */
    private static void write(HttpServletResponse resp, HttpApi.Response answer, boolean close) throws IOException {
        if (close) {
            resp.setHeader("Connection", "close");
        }
        resp.setStatus(answer.status());
        resp.setContentType(answer.contentType());
        for (Map.Entry<String, String> h : HttpApi.HEADERS) {
            resp.setHeader(h.getKey(), h.getValue());
        }
        answer.headers().forEach(resp::setHeader);
        answer.cookies().forEach(c -> resp.addHeader("Set-Cookie", c));
        byte[] out = answer.body().getBytes(StandardCharsets.UTF_8);
        resp.setContentLength(out.length);
        resp.getOutputStream().write(out);
        if (close) {
            // now: Undertow otherwise holds the answer until the rest of the body is drained, which never comes
            resp.flushBuffer();
        }
    }
}
