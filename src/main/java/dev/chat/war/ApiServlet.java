package dev.chat.war;

import dev.chat.app.ChatApp;
import dev.chat.web.HttpApi;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** The HTTP API and operations endpoints in the WAR: hands each request to {@link HttpApi}. */
@WebServlet({"/api/*", "/metrics", "/health/*"})
public final class ApiServlet extends HttpServlet {

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        ChatApp app = (ChatApp) getServletContext().getAttribute(ChatApp.class.getName());
        String path = (req.getServletPath() + (req.getPathInfo() == null ? "" : req.getPathInfo())).replaceFirst("^/", "");
        HttpApi.Response answer = app.httpApi().handle(req.getMethod(), path, readBody(req.getInputStream()),
                req.getRemoteAddr(), new HttpApi.Headers(req.getContentType(), req.getHeader("Origin"), req.getHeader("Host"),
                        java.util.Collections.list(req.getHeaders("X-Forwarded-For")), req.getHeader("Cookie"),
                        req.getHeader("Authorization"), req.getHeader("X-Forwarded-Proto"), req.isSecure(), req.getContextPath()));
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
    }

    /** The body, or null when it exceeds the API's limit (read no further than that). */
    private static byte[] readBody(InputStream in) throws IOException {
        byte[] body = in.readNBytes(HttpApi.MAX_BODY_BYTES + 1);
        return body.length > HttpApi.MAX_BODY_BYTES ? null : body;
    }
}
