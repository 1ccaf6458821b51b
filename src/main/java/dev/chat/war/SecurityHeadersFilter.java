package dev.chat.war;

import dev.chat.app.ChatApp;
import dev.chat.web.SecurityHeaders;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;

/**
 * Puts the node's {@link SecurityHeaders#page} ({@link ChatApp#pageHeaders}; {@link SecurityHeaders#PAGE}
 * when the node did not start) on the page, its files and the HTTP API, set before they write
 * a byte. Not on {@code /ws}: the WebSocket upgrade belongs to the container's own filter, and
 * Payara's breaks (500s on later requests) when an application filter wraps it.
 */
@WebFilter(urlPatterns = {"/index.html", "*.html", "*.js", "*.css", "*.svg", "*.png", "*.ico",
        "/api/*", "/metrics", "/health/*"},
        dispatcherTypes = {jakarta.servlet.DispatcherType.REQUEST, jakarta.servlet.DispatcherType.FORWARD},
        asyncSupported = true) // the API's servlet reads bodies asynchronously; a filter before it must allow that
public final class SecurityHeadersFilter extends HttpFilter {

    @Override
    protected void doFilter(HttpServletRequest req, HttpServletResponse resp, FilterChain chain)
            throws IOException, ServletException {
        ChatApp app = (ChatApp) req.getServletContext().getAttribute(ChatApp.class.getName());
        for (Map.Entry<String, String> h : app == null ? SecurityHeaders.PAGE : app.pageHeaders()) {
            resp.setHeader(h.getKey(), h.getValue());
        }
        chain.doFilter(req, resp);
    }
}
