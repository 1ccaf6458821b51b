package dev.chat.war;

import dev.chat.web.SecurityHeaders;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;

/** Puts {@link SecurityHeaders#PAGE} on every answer of the WAR, set before the page or API writes a byte. */
@WebFilter("/*")
public final class SecurityHeadersFilter extends HttpFilter {

    @Override
    protected void doFilter(HttpServletRequest req, HttpServletResponse resp, FilterChain chain)
            throws IOException, ServletException {
        for (Map.Entry<String, String> h : SecurityHeaders.PAGE) {
            resp.setHeader(h.getKey(), h.getValue());
        }
        chain.doFilter(req, resp);
    }
}
