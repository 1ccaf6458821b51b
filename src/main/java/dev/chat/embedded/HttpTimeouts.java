package dev.chat.embedded;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.Grizzly;
import org.glassfish.grizzly.attributes.Attribute;
import org.glassfish.grizzly.filterchain.FilterChainBuilder;
import org.glassfish.grizzly.filterchain.FilterChainContext;
import org.glassfish.grizzly.filterchain.NextAction;
import org.glassfish.grizzly.http.server.AddOn;
import org.glassfish.grizzly.http.server.NetworkListener;
import org.glassfish.grizzly.utils.DelayedExecutor;
import org.glassfish.grizzly.utils.IdleTimeoutFilter;

/**
 * Closes HTTP connections that wait too long for a request's headers: a new connection gets
 * {@code headerTimeout} to complete its first request's headers (a socket that sends nothing, or
 * dribbles a request line, is closed then), a connection kept alive after an answer gets
 * {@code keepAlive} to complete its next one. An upgraded WebSocket is never closed by it: its
 * liveness is the chat's heartbeat, which may be silent for as long as an operator configures.
 * A slow body is {@link RequestBody}'s to time out.
 *
 * <p>How: Grizzly's {@link IdleTimeoutFilter}, which the HTTP server puts just above the HTTP codec,
 * re-arms a connection's deadline when a filter-chain pass through it completes (the accept, a
 * parsed request, a write) and holds it off while a pass is in progress (a request being served).
 * Above the codec, it never sees the bytes of an incomplete header, so they cannot push the
 * deadline on. Its one timeout, though, is the listener's keep-alive idle timeout, the same after
 * the accept, after an answer and after an upgrade (the reason it used to be off). This add-on puts
 * in its place the same filter with a timeout chosen per pass: the accept's, an answer's, or none
 * once Tyrus has upgraded the connection (decided at the end of the handshake's pass, so no
 * deadline is left armed on a WebSocket).
 *
 * <p>Thread: {@code chat-http-timeouts} checks the deadlines once a second, so a connection is
 * closed up to a second after its deadline.
 */
final class HttpTimeouts implements AddOn, AutoCloseable {
    /** Set once a request's headers have passed: from then on a deadline is the keep-alive's. */
    private static final Attribute<Boolean> REQUESTED =
            Grizzly.DEFAULT_ATTRIBUTE_BUILDER.createAttribute(HttpTimeouts.class.getName() + ".requested");

    private final long headerMillis;
    private final long keepAliveMillis;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "chat-http-timeouts");
        t.setDaemon(true);
        return t;
    });
    private final DelayedExecutor deadlines = new DelayedExecutor(thread, 1, TimeUnit.SECONDS);

    HttpTimeouts(Duration headerTimeout, Duration keepAlive) {
        this.headerMillis = headerTimeout.toMillis();
        this.keepAliveMillis = keepAlive.toMillis();
    }

    @Override
    public void setup(NetworkListener listener, FilterChainBuilder builder) {
        int grizzlys = builder.indexOfType(IdleTimeoutFilter.class);
        if (grizzlys < 0) {
            throw new IllegalStateException("Grizzly's HTTP server no longer puts an IdleTimeoutFilter above its codec");
        }
        deadlines.start();
        builder.set(grizzlys, new IdleTimeoutFilter(deadlines, this::timeout) {
            @Override
            public NextAction handleRead(FilterChainContext ctx) throws IOException {
                REQUESTED.set(ctx.getConnection(), Boolean.TRUE); // above the codec: a whole request header
                return super.handleRead(ctx);
            }
        });
    }

    /** The timeout armed when a pass of {@code ctx} through the filter completes, from then on. */
    private long timeout(FilterChainContext ctx) {
        Connection<?> connection = ctx.getConnection();
        if (UpgradedConnections.TYRUS_CONNECTION.get(connection) != null) {
            return IdleTimeoutFilter.FOREVER;
        }
        return REQUESTED.get(connection) == null ? headerMillis : keepAliveMillis;
    }

    @Override
    public void close() {
        deadlines.destroy();
        thread.shutdownNow();
    }
}
