package dev.chat.embedded;

import dev.chat.app.ChatApp;
import dev.chat.config.ChatConfig;
import dev.chat.web.HttpApi;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.concurrent.TimeUnit;
import org.glassfish.grizzly.http.server.HttpServer;
import org.glassfish.grizzly.http.server.NetworkListener;

/**
 * The jar's management server on {@code CHAT_HOST:CHAT_MANAGEMENT_PORT}: {@code /metrics} and
 * {@code /health/*} only, through the same {@link HttpApi} as the chat port; anything else is 404.
 * A server of its own rather than a second listener of the chat's, because Grizzly's routes belong
 * to a server, not a listener. Its HTTP deadlines are the chat port's ({@link HttpTimeouts}), so a
 * client cannot hold it either; a probe is never a WebSocket, hence no Tyrus here.
 */
final class Management implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Management.class.getName());

    private final HttpServer http;
    private final NetworkListener listener;
    private final HttpTimeouts timeouts;

    private Management(HttpServer http, NetworkListener listener, HttpTimeouts timeouts) {
        this.http = http;
        this.listener = listener;
        this.timeouts = timeouts;
    }

    /** Starts listening; the caller must {@link #close} it. */
    static Management start(ChatApp app, ChatConfig config) throws IOException {
        HttpTimeouts timeouts = new HttpTimeouts(config.httpTimeout(), config.httpKeepAlive());
        HttpServer http = new HttpServer();
        NetworkListener listener = new NetworkListener("management", config.host(), config.managementPort());
        listener.registerAddOn(timeouts);
        http.addListener(listener);
        http.getServerConfiguration().setDefaultErrorPageGenerator(new PlainErrorPages());
        http.getServerConfiguration().addHttpHandler(new ApiHandler(app.httpApi(), config.httpTimeout(), app.logSampler(), true),
                HttpApi.OPERATIONS.toArray(String[]::new));
        try {
            http.start();
        } catch (IOException | RuntimeException e) {
            timeouts.close();
            throw e;
        }
        LOG.log(Level.INFO, "management port {0} serves /metrics and /health/*", Integer.toString(listener.getPort()));
        return new Management(http, listener, timeouts);
    }

    int port() {
        return listener.getPort();
    }

    @Override
    public void close() {
        try {
            http.shutdown(1, TimeUnit.SECONDS).get(2, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.log(Level.DEBUG, "management listener did not stop in time: {0}", e.toString());
            http.shutdownNow();
        }
        timeouts.close();
    }
}
