package dev.chat.embedded;

import jakarta.websocket.DeploymentException;
import jakarta.websocket.server.ServerEndpointConfig;
import java.util.Map;
import java.util.Set;
import org.glassfish.tyrus.core.TyrusWebSocketEngine;
import org.glassfish.tyrus.server.TyrusServerContainer;
import org.glassfish.tyrus.spi.WebSocketEngine;

/**
 * Tyrus's server container without Tyrus's own Grizzly server: it only owns the WebSocket engine,
 * and {@link EmbeddedServer} plugs that engine into the one Grizzly listener that also serves the
 * page and the API (as Tyrus's {@code GrizzlyServerContainer} does for its own server).
 */
final class TyrusContainer extends TyrusServerContainer {
    private final WebSocketEngine engine;

    /** @param maxFrameBytes the engine refuses larger frames before buffering them (frame header included) */
    TyrusContainer(int maxFrameBytes) {
        super((Set<Class<?>>) null);
        this.engine = TyrusWebSocketEngine.builder(this)
                .incomingBufferSize(maxFrameBytes + 14) // + the largest frame header
                .build();
    }

    @Override
    public void register(Class<?> endpointClass) throws DeploymentException {
        engine.register(endpointClass, "/");
    }

    @Override
    public void register(ServerEndpointConfig config) throws DeploymentException {
        engine.register(config, "/");
    }

    @Override
    public WebSocketEngine getWebSocketEngine() {
        return engine;
    }

    @Override
    public Map<String, Object> getProperties() {
        return Map.of();
    }
}
