package dev.chat.war;

import dev.chat.app.ChatApp;
import jakarta.servlet.ServletRequestEvent;
import jakarta.servlet.ServletRequestListener;
import jakarta.servlet.annotation.WebListener;
import jakarta.servlet.http.HttpServletRequest;

/**
 * Leaves each WebSocket handshake's peer address where the configurator finds it
 * ({@link dev.chat.auth.HandshakePeers}, under the request's {@code Sec-WebSocket-Key}): the standard
 * {@code HandshakeRequest} has none. A request listener, not a filter: it runs before the container's
 * upgrade and wraps nothing (Payara's upgrade breaks when an application filter surrounds it), but so
 * it cannot answer; handshakes over the per-address limits are refused after the upgrade, with 4006
 * or 4007. The container's HTTP layer owns idle TCP connections (README, Deploying the WAR).
 */
@WebListener
public final class HandshakePeerListener implements ServletRequestListener {

    @Override
    public void requestInitialized(ServletRequestEvent event) {
        if (event.getServletRequest() instanceof HttpServletRequest request) {
            String key = request.getHeader("Sec-WebSocket-Key");
            if (key != null && event.getServletContext().getAttribute(ChatApp.class.getName()) instanceof ChatApp app) {
                app.handshakePeers().record(key, request.getRemoteAddr());
            }
        }
    }
}
