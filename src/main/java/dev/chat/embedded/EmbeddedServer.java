package dev.chat.embedded;

import dev.chat.app.ChatApp;
import dev.chat.config.ChatConfig;
import dev.chat.config.ConfigException;
import dev.chat.web.HttpApi;
import dev.chat.ws.ChatConfigurator;
import dev.chat.ws.ChatEndpoint;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.glassfish.grizzly.http.server.AddOn;
import org.glassfish.grizzly.http.server.HttpServer;
import org.glassfish.grizzly.http.server.NetworkListener;
import org.glassfish.grizzly.http.server.ServerConfiguration;
import org.glassfish.tyrus.container.grizzly.server.WebSocketAddOn;

/**
 * The jar's lifecycle adapter: one Grizzly listener on {@code CHAT_HOST:CHAT_PORT} serving the page
 * (from the classpath copy of {@code webapp/}), the HTTP API under {@code /api/} and the WebSocket
 * endpoint {@code /ws} through Tyrus. The chat itself is the same {@link ChatApp} the WAR runs.
 * {@code /metrics} and {@code /health/*} are there too, unless {@code CHAT_MANAGEMENT_PORT} is set:
 * then a second server on {@code CHAT_HOST} and that port serves them alone and the chat port answers
 * 404 for them, so a firewall can keep them to the operators' network.
 *
 * <p>No HTTP client can hold the listener: {@link HttpTimeouts} closes connections slow to send a
 * request's headers or idle between requests ({@code CHAT_HTTP_TIMEOUT}, {@code CHAT_HTTP_KEEP_ALIVE}),
 * and {@link RequestBody} reads API bodies without a worker thread, answering 408 to one not in by
 * {@code CHAT_HTTP_TIMEOUT}; {@link AddressCaps} answers 429 to a peer's connections over
 * {@code CHAT_MAX_CONNECTIONS_PER_ADDRESS}. Upgraded WebSockets are the heartbeat's to close.
 *
 * <p>Threads: Grizzly's selector and worker threads run HTTP requests and the endpoint's callbacks;
 * {@code chat-http-timeouts} checks the HTTP deadlines; a shutdown hook stops the node gracefully
 * on SIGTERM.
 */
public final class EmbeddedServer implements AutoCloseable {
    static {
        // before the first logger (textual order is initialization order), and by name: touching the
        // class itself would initialize LogManager, its superclass, before the property is set
        if (System.getProperty("java.util.logging.manager") == null) {
            System.setProperty("java.util.logging.manager", "dev.chat.embedded.ShutdownLogManager");
        }
    }

    private static final System.Logger LOG = System.getLogger(EmbeddedServer.class.getName());

    private final ChatApp app;
    private final HttpServer http;
    private final TyrusContainer tyrus;
    private final NetworkListener listener;
    private final HttpTimeouts timeouts;
    private final GrizzlyLogFilter grizzlyLogs;
    /** The management server, or null when the operations endpoints are on the chat port. */
    private final Management management;

    private EmbeddedServer(ChatApp app, HttpServer http, TyrusContainer tyrus, NetworkListener listener,
                           HttpTimeouts timeouts, GrizzlyLogFilter grizzlyLogs, Management management) {
        this.management = management;
        this.grizzlyLogs = grizzlyLogs;
        this.app = app;
        this.http = http;
        this.tyrus = tyrus;
        this.listener = listener;
        this.timeouts = timeouts;
    }

    public static void main(String[] args) throws InterruptedException {
        ChatConfig config;
        try {
            config = ChatConfig.load(JarSettings.load());
        } catch (ConfigException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        if (config.logFormat().equals("json")) {
            // the jar owns its JVM's logging; the root's handlers (the console, or a configured file) write JSON
            for (java.util.logging.Handler h : java.util.logging.Logger.getLogger("").getHandlers()) {
                h.setFormatter(new JsonLogFormatter());
            }
        }
        EmbeddedServer server;
        try {
            server = start(config);
        } catch (IOException e) {
            System.err.println("cannot listen on " + config.host() + ":" + config.port()
                    + (config.managementPort() == null ? "" : " and management port " + config.managementPort()) + ": " + e.getMessage());
            System.exit(1);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();
        Runnable stop = () -> {
            if (closing.compareAndSet(false, true)) {
                try {
                    server.close();
                } finally {
                    ShutdownLogManager.resetAfterStop();
                    stopped.countDown();
                }
            }
        };
        // SIGTERM and SIGINT stop the node before the JVM starts exiting: in a shutdown hook the stop
        // raced the JDK's own hooks (logging's reset among them) and its log lines were lost
        for (String signal : new String[] {"TERM", "INT"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(signal), s -> new Thread(() -> {
                    stop.run();
                    System.exit(0);
                }, "chat-shutdown").start());
            } catch (IllegalArgumentException e) {
                LOG.log(Level.DEBUG, "signal {0} not handled here: {1}", signal, e.getMessage());
            }
        }
        Runtime.getRuntime().addShutdownHook(new Thread(stop, "chat-shutdown-hook")); // any other exit
        if (config.logFormat().equals("json")) {
            LOG.log(Level.INFO, "chat-server listening on {0}", server.url()); // every line JSON
            if (server.managementPort() >= 0) {
                LOG.log(Level.INFO, "chat-server management (/metrics, /health/*) on port {0}", Integer.toString(server.managementPort()));
            }
        } else {
            System.out.println("chat-server listening on " + server.url());
            if (server.managementPort() >= 0) {
                System.out.println("chat-server management (/metrics, /health/*) on port " + server.managementPort());
            }
        }
        stopped.await();
    }

    /** Starts a node and its listener; returns once it accepts connections. */
    public static EmbeddedServer start(ChatConfig config) throws IOException {
        ChatApp app = ChatApp.start(config);
        HttpTimeouts timeouts = new HttpTimeouts(config.httpTimeout(), config.httpKeepAlive());
        GrizzlyLogFilter grizzlyLogs = new GrizzlyLogFilter(app.logSampler()); // a client's broken bytes log lines there
        Management management = null;
        try {
            ChatConfigurator.install(app);
            TyrusContainer tyrus = new TyrusContainer(config.maxFrameBytes());
            tyrus.register(ChatEndpoint.class);

            HttpServer http = new HttpServer();
            NetworkListener listener = new NetworkListener("chat", config.host(), config.port());
            listener.getTransport().setReadBufferSize(TyrusContainer.READ_BUFFER_BYTES);
            listener.registerAddOn(webSocketAddOn(tyrus));
            listener.registerAddOn(new RejectedUpgradeFix());
            listener.registerAddOn(new UpgradedConnections());
            listener.registerAddOn(timeouts); // header and keep-alive bounds, never on a WebSocket
            listener.registerAddOn(new AddressCaps(config.maxConnectionsPerAddress(), app.clientAddress(),
                    app.handshakePeers(), app.metrics()));
            http.addListener(listener);

            ServerConfiguration routes = http.getServerConfiguration();
            routes.setDefaultErrorPageGenerator(new PlainErrorPages());
            boolean split = config.managementPort() != null;
            routes.addHttpHandler(new ApiHandler(app.httpApi(), config.httpTimeout(), app.logSampler(), !split),
                    HttpApi.PREFIXES.toArray(String[]::new));
            routes.addHttpHandler(new PageHandler(app.pageHeaders()), "/");
            http.start();
            if (split) { // after the chat port: the startup probe passes once clients can connect
                try {
                    management = Management.start(app, config);
                } catch (IOException | RuntimeException e) {
                    http.shutdownNow();
                    throw e;
                }
            }
            return new EmbeddedServer(app, http, tyrus, listener, timeouts, grizzlyLogs, management);
        } catch (IOException | RuntimeException | jakarta.websocket.DeploymentException e) {
            if (management != null) {
                management.close();
            }
            timeouts.close();
            grizzlyLogs.close();
            ChatConfigurator.uninstall(app);
            app.close();
            if (e instanceof IOException io) {
                throw io;
            }
            if (e instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException("cannot start the embedded server", e);
        }
    }

    /**
     * Tyrus's own Grizzly add-on, which routes upgrade requests to the engine. Its constructor is
     * package-private in Tyrus 2.1.6, hence reflection: the alternative is copying Tyrus's filter.
     */
    private static AddOn webSocketAddOn(TyrusContainer tyrus) {
        try {
            var constructor = WebSocketAddOn.class.getDeclaredConstructor(
                    org.glassfish.tyrus.spi.ServerContainer.class, String.class);
            constructor.setAccessible(true);
            return constructor.newInstance(tyrus, "/");
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Tyrus's WebSocketAddOn is not where 2.1.6 has it", e);
        }
    }

    /** The listener's transport, for tests that watch its connections. */
    org.glassfish.grizzly.nio.transport.TCPNIOTransport transport() {
        return listener.getTransport();
    }

    /** The real port, also when 0 was asked for. */
    public int port() {
        return listener.getPort();
    }

    public String url() {
        String host = listener.getHost().contains(":") ? "[" + listener.getHost() + "]" : listener.getHost();
        return "http://" + host + ":" + port() + "/";
    }

    /** The management port's real number (also when 0 was asked for), or -1 when there is none. */
    public int managementPort() {
        return management == null ? -1 : management.port();
    }

    public ChatApp app() {
        return app;
    }

    /** Graceful stop: the node flushes and closes its connections (1001) within the grace, then the listener goes. */
    @Override
    public void close() {
        app.close(); // still installed meanwhile: late handshakes get a clean 1001, not a dropped socket
        ChatConfigurator.uninstall(app);
        tyrus.stop();
        try {
            http.shutdown(1, TimeUnit.SECONDS).get(2, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.log(Level.DEBUG, "listener did not stop in time: {0}", e.toString());
            http.shutdownNow();
        }
        if (management != null) {
            management.close(); // last: health answers "not ready" for as long as the node drains
        }
        timeouts.close();
        grizzlyLogs.close();
    }
}
