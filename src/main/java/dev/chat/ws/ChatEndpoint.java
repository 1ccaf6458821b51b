package dev.chat.ws;

import dev.chat.log.LogText;
import dev.chat.app.ChatApp;
import dev.chat.auth.HandshakeResult;
import dev.chat.connection.Connection;
import dev.chat.connection.Connections;
import dev.chat.log.LogSampler;
import dev.chat.protocol.ClientFrame;
import dev.chat.protocol.CloseCode;
import dev.chat.protocol.ErrorCode;
import dev.chat.protocol.ProtocolCodec;
import dev.chat.protocol.ServerFrame;
import jakarta.websocket.CloseReason;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.OnClose;
import jakarta.websocket.OnError;
import jakarta.websocket.OnMessage;
import jakarta.websocket.OnOpen;
import jakarta.websocket.PongMessage;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpoint;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;

/**
 * The WebSocket endpoint {@code /ws}, a thin adapter: it turns the container's callbacks into calls
 * on the connection set and the dispatcher, and does nothing else. One instance per connection.
 */
@ServerEndpoint(value = "/ws", configurator = ChatConfigurator.class,
        decoders = ClientFrameDecoder.class, encoders = ServerFrameEncoder.class)
public final class ChatEndpoint {
    private static final System.Logger LOG = System.getLogger(ChatEndpoint.class.getName());

    /** Kinds of the lines a client can cause before it is admitted (see {@link LogSampler}). */
    private static final String HANDSHAKE_REJECTED = "handshake rejected";
    private static final String CONNECTION_REFUSED = "connection refused";
    private static final String NOT_ADMITTED_TRANSPORT_ERROR = "transport error before admission";
    private static final String NOT_ADMITTED_ERROR = "error before admission";
    private static final String REFUSED_CLOSE_FAILED = "close of a refused session failed";

    private final ChatApp app;
    /** Set in open, read by the container's later callbacks, which may run on other threads. */
    private volatile Connection connection;

    /** For a container that insists on a no-argument constructor; the configurator normally creates instances. */
    public ChatEndpoint() {
        this(ChatConfigurator.app());
    }

    ChatEndpoint(ChatApp app) {
        this.app = app;
    }

    @OnOpen
    public void open(Session session, EndpointConfig config) {
        // Liveness is the heartbeat's job (CHAT_IDLE_TIMEOUT). Negative, not 0: both mean "never" in
        // the spec, but Tyrus 2.1 still schedules an idle-timeout task on every frame in and out
        // for 0 (TyrusSession.restartIdleTimeoutExecutor), 5 % of the CPU in the chat profile.
        session.setMaxIdleTimeout(-1);
        session.setMaxTextMessageBufferSize(app.config().maxFrameBytes());
        session.setMaxBinaryMessageBufferSize(app.config().maxFrameBytes());
        Object verdict = session.getUserProperties().get(ChatConfigurator.HANDSHAKE);
        if (verdict == null) {
            verdict = config.getUserProperties().get(ChatConfigurator.HANDSHAKE);
        }
        if (!(verdict instanceof HandshakeResult.Accepted accepted)) {
            HandshakeResult.Rejected rejected = verdict instanceof HandshakeResult.Rejected r ? r
                    : new HandshakeResult.Rejected(CloseCode.UNAUTHORIZED, "no handshake verdict", null);
            String who = "session " + session.getId() + " (trace " + rejected.traceId() + ")";
            // any client can cause this line, at will: sampled; the metric counts every one. The
            // reason is ours (a token's own text in it is quoted), the trace id 32 hex digits or ours
            if (sampled(HANDSHAKE_REJECTED, Level.INFO)) {
                LOG.log(Level.INFO, "handshake rejected on {0}: {1}, close code {2}", who, rejected.reason(),
                        Integer.toString(rejected.code().code()));
            }
            app.metrics().handshakeRejected(rejected.code().code());
            refuse(session, rejected.code(), who);
            return;
        }
        SessionSink sink = new SessionSink(session, app.closer(), accepted.traceId());
        ServerFrame welcome = new ServerFrame.Welcome(accepted.principal().user(), ProtocolCodec.PROTOCOL_VERSION, app.epoch());
        Connections.Admission admission = app.connections().admit(accepted.principal(), accepted.address(), accepted.traceId(), sink,
                welcome);
        if (admission instanceof Connections.Admission.Refused refused) {
            String who = "session " + session.getId() + " (user " + LogText.name(accepted.principal().user())
                    + ", trace " + accepted.traceId() + ")";
            // a full node refuses every newcomer, and one account may try again and again: sampled
            if (sampled(CONNECTION_REFUSED, Level.INFO)) {
                LOG.log(Level.INFO, "connection refused on {0}: {1}, close code {2}", who, refused.code().label(),
                        Integer.toString(refused.code().code()));
            }
            refuse(session, refused.code(), who);
            return;
        }
        Connection c = ((Connections.Admission.Admitted) admission).connection();
        sink.owner(c);
        connection = c;
        app.admitted(c);
    }

    @OnMessage
    public void text(ClientFrame frame) {
        Connection c = connection;
        if (c != null) {
            app.dispatcher().dispatch(c, frame);
        }
    }

    @OnMessage
    public void binary(ByteBuffer data) {
        text(new ClientFrame.Invalid(ErrorCode.BAD_REQUEST, "binary frames are not part of protocol v1", null));
    }

    @OnMessage
    public void pong(PongMessage pong) {
        Connection c = connection;
        if (c != null) {
            c.touch(System.nanoTime());
        }
    }

    @OnClose
    public void close(CloseReason reason) {
        Connection c = connection;
        if (c != null) {
            c.transportClosed(reason.getCloseCode().getCode());
        }
    }

    /** Transport failures end in {@link #close}; they are the peer's doing and logged at debug. */
    @OnError
    public void error(Session session, Throwable failure) {
        Connection c = connection;
        Object who = c != null ? c : "session " + session.getId() + " (not admitted)";
        if (failure instanceof IOException) {
            if (c != null || sampled(NOT_ADMITTED_TRANSPORT_ERROR, Level.DEBUG)) {
                LOG.log(Level.DEBUG, "transport error on {0}: {1}", who, failure.toString());
            }
        } else if (c != null || sampled(NOT_ADMITTED_ERROR, Level.WARNING)) {
            LOG.log(Level.WARNING, "error on " + who, failure);
        }
    }

    /** Whether a line of this kind may be logged now; the app's sampler keeps one count per kind. */
    private boolean sampled(String kind, Level level) {
        return app.logSampler().kind(kind, LOG, level).allow();
    }

    /**
     * Closes a refused session just after {@code @OnOpen} returns, on the closer pool: nothing else
     * is ever sent on it, and closing inside {@code @OnOpen} races Payara's completion of the
     * upgrade (its request objects get recycled under a later HTTP request, which then fails).
     */
    private void refuse(Session session, CloseCode code, String who) {
        Runnable close = () -> {
            try {
                session.close(new CloseReason(CloseReason.CloseCodes.getCloseCode(code.code()), code.label()));
            } catch (IOException e) {
                if (sampled(REFUSED_CLOSE_FAILED, Level.DEBUG)) {
                    LOG.log(Level.DEBUG, "close of refused {0} failed: {1}", who, e.toString());
                }
            }
        };
        try {
            app.closer().execute(close);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            close.run();
        }
    }
}
