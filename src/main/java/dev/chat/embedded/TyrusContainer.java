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

    /** Bytes Grizzly reads from a socket at once; the engine's buffer must hold one read on top of a frame. */
    static final int READ_BUFFER_BYTES = 64 * 1024;

    /**
     * The engine's buffer bounds what it holds of one connection's unparsed input, which may be a
     * frame plus the rest of one read (pipelined small frames). Sized so that no frame within
     * {@code maxFrameBytes} is refused; the decoder then enforces the limit to the byte (1009),
     * and the engine refuses, unbuffered, only frames larger than this (1011 "Buffer overflow").
     */
    TyrusContainer(int maxFrameBytes) {
        super((Set<Class<?>>) null);
        this.engine = TyrusWebSocketEngine.builder(this)
                .incomingBufferSize(maxFrameBytes + 14 + READ_BUFFER_BYTES) // 14: the largest frame header
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
