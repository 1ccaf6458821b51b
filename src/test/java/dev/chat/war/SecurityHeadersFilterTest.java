package dev.chat.war;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.web.SecurityHeaders;
import jakarta.servlet.FilterChain;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.lang.reflect.Proxy;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The WAR's filter, without a container: it covers every path and sets the one header list before
 * the rest of the chain writes anything. (Deployed, the WAR runs in {@code -Pcontainers} only.)
 */
class SecurityHeadersFilterTest {

    @Test
    void mapsToThePageAndTheApiButLeavesTheWebSocketUpgradeAlone() {
        List<String> patterns = List.of(SecurityHeadersFilter.class.getAnnotation(WebFilter.class).urlPatterns());
        assertTrue(patterns.containsAll(List.of("/index.html", "*.js", "*.css", "/api/*", "/metrics", "/health/*")), patterns.toString());
        assertFalse(patterns.contains("/*"), "a catch-all would wrap the /ws upgrade, which breaks Payara");
        assertFalse(patterns.contains("/ws"));
    }

    @Test
    void setsEveryPageHeaderBeforeTheChainRuns() throws Exception {
        Map<String, String> headers = new LinkedHashMap<>();
        HttpServletResponse response = (HttpServletResponse) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {HttpServletResponse.class}, (proxy, method, args) -> {
                    if (method.getName().equals("setHeader")) {
                        headers.put((String) args[0], (String) args[1]);
                    }
                    return null;
                });
        jakarta.servlet.ServletContext context = (jakarta.servlet.ServletContext) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {jakarta.servlet.ServletContext.class}, (proxy, method, args) -> null); // no ChatApp: the default headers
        HttpServletRequest request = (HttpServletRequest) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {HttpServletRequest.class}, (proxy, method, args) -> method.getName().equals("getServletContext") ? context : null);
        AtomicBoolean chained = new AtomicBoolean();
        FilterChain chain = (req, resp) -> {
            assertEquals(SecurityHeaders.PAGE.size(), headers.size(), "headers are set before the page is written");
            chained.set(true);
        };
        new SecurityHeadersFilter().doFilter(request, response, chain);
        assertTrue(chained.get());
        for (Map.Entry<String, String> h : SecurityHeaders.PAGE) {
            assertEquals(h.getValue(), headers.get(h.getKey()), h.getKey());
        }
    }
}
