package dev.chat.ws;

import dev.chat.connection.Connection;
import dev.chat.connection.FrameSink;
import dev.chat.protocol.CloseCode;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/** A connection's transport on the standard API: the session's async remote, nothing runtime-specific. */
final class SessionSink implements FrameSink {
    private static final System.Logger LOG = System.getLogger(SessionSink.class.getName());
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private final Session session;
    private final Executor closer;
    /** Who this transport carries, for the log: the session and trace, then the connection once admitted. */
    private volatile Object owner;

    SessionSink(Session session, Executor closer, String traceId) {
        this.session = session;
        this.closer = closer;
        this.owner = "session " + session.getId() + " (trace " + traceId + ")";
    }

    /** The connection admitted on this transport; its id, user and trace then name it in the log. */
    void owner(Connection connection) {
        owner = connection;
    }

    @Override
    public void sendText(String text, Consumer<Throwable> done) {
        try {
            session.getAsyncRemote().sendText(text, result -> done.accept(result.isOK() ? null : result.getException()));
        } catch (RuntimeException e) {
            done.accept(e); // the session closed under us
        }
    }

    @Override
    public void sendPing() {
        try {
            session.getAsyncRemote().sendPing(EMPTY.duplicate());
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.DEBUG, "ping failed on {0}: {1}", owner, e.toString());
        }
    }

    /** Closes on the closer pool: a close may wait on the network, and callers must not. */
    @Override
    public void close(CloseCode code) {
        try {
            closer.execute(() -> closeNow(code));
        } catch (RejectedExecutionException e) {
            closeNow(code); // the node is stopping and its pool with it
        }
    }

    private void closeNow(CloseCode code) {
        try {
            if (session.isOpen()) {
                session.close(new CloseReason(CloseReason.CloseCodes.getCloseCode(code.code()), code.label()));
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.DEBUG, "close failed on {0}: {1}", owner, e.toString());
        }
    }
}
