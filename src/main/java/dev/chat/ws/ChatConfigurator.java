package dev.chat.ws;

import dev.chat.app.ChatApp;
import dev.chat.auth.HandshakeResult;
import jakarta.websocket.HandshakeResponse;
import jakarta.websocket.server.HandshakeRequest;
import jakarta.websocket.server.ServerEndpointConfig;

/**
 * Authenticates every handshake and hands endpoint instances the running {@link ChatApp}.
 *
 * <p>Containers create configurators by class, so the app reaches it through the one static of
 * the code base, {@link #install}: set by the runtime adapter at start, cleared at stop, one per
 * class loader (so one per deployed WAR).
 */
public final class ChatConfigurator extends ServerEndpointConfig.Configurator {
    /** The user property that carries the handshake's verdict to {@code @OnOpen}. */
    static final String HANDSHAKE = "dev.chat.handshake";

    private static volatile ChatApp app;

    /** Makes {@code running} the app of this class loader; a second running app is a wiring mistake. */
    public static synchronized void install(ChatApp running) {
        if (app != null && app != running) {
            throw new IllegalStateException("a chat application is already running in this class loader");
        }
        app = running;
    }

    public static synchronized void uninstall(ChatApp stopped) {
        if (app == stopped) {
            app = null;
        }
    }

    /** The app of this class loader, or null when none runs: for the WAR's other container-made objects (its health checks). */
    public static ChatApp running() {
        return app;
    }

    static ChatApp app() {
        ChatApp current = app;
        if (current == null) {
            throw new IllegalStateException("the chat application is not running");
        }
        return current;
    }

    /**
     * Decides the handshake. The standard API cannot refuse an upgrade from here, so a rejected
     * verdict travels to {@code @OnOpen}, which closes with its 4xxx code before any other frame.
     * Nor does it give the peer's address: the runtime adapter recorded it under the handshake's
     * {@code Sec-WebSocket-Key} ({@link dev.chat.auth.HandshakePeers}).
     * Jakarta WebSocket 2.1 gives each handshake its own copy of the user properties.
     */
    @Override
    public void modifyHandshake(ServerEndpointConfig sec, HandshakeRequest request, HandshakeResponse response) {
        ChatApp running = app();
        String peer = running.handshakePeers().peer(first(request.getHeaders(), "sec-websocket-key"));
        HandshakeResult verdict = running.authenticator().authenticate(request.getHeaders(), request.getParameterMap(), peer);
        sec.getUserProperties().put(HANDSHAKE, verdict);
    }

    private static String first(java.util.Map<String, java.util.List<String>> headers, String name) {
        for (var e : headers.entrySet()) {
            if (e.getKey() != null && e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) {
                return e.getValue().get(0);
            }
        }
        return null;
    }

    /** {@code Origin: null} is refused before the upgrade; the full Origin check needs the Host and runs in modifyHandshake. */
    @Override
    public boolean checkOrigin(String originHeaderValue) {
        return !"null".equals(originHeaderValue);
    }

    @Override
    public <T> T getEndpointInstance(Class<T> endpointClass) throws InstantiationException {
        if (endpointClass != ChatEndpoint.class) {
            throw new InstantiationException("not a chat endpoint: " + endpointClass.getName());
        }
        return endpointClass.cast(new ChatEndpoint(app()));
    }
}
