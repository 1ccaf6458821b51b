package dev.chat.app;

import dev.chat.auth.Accounts;
import dev.chat.auth.FileUserStore;
import dev.chat.auth.HandshakeAuthenticator;
import dev.chat.auth.IdentityProvider;
import dev.chat.auth.LoginThrottle;
import dev.chat.auth.JwtTokenIssuer;
import dev.chat.auth.JwtTokenVerifier;
import dev.chat.auth.OriginPolicy;
import dev.chat.auth.PasswordHasher;
import dev.chat.auth.UserStore;
import dev.chat.cluster.ClusterBus;
import dev.chat.cluster.MemoryClusterBus;
import dev.chat.cluster.RedisClusterBus;
import dev.chat.cluster.RedisKeys;
import dev.chat.cluster.RedisRoomAccess;
import dev.chat.room.MemoryRoomAccess;
import dev.chat.room.RoomAccess;
import dev.chat.auth.RedisUserStore;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import dev.chat.config.ChatConfig;
import dev.chat.connection.Connection;
import dev.chat.connection.Connections;
import dev.chat.connection.SendStarts;
import dev.chat.metrics.ChatMetrics;
import dev.chat.room.RoomRegistry;
import dev.chat.web.HttpApi;
import java.lang.System.Logger.Level;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The composition root: builds config-driven parts once and wires them (users, tokens, Origin
 * policy, bus, rooms, connections, HTTP API). A small adapter per runtime starts and stops it: the
 * WAR's {@code ChatWebListener} and the jar's {@code EmbeddedServer}; endpoint instances get it from
 * the configurator.
 *
 * <p>Threads it owns: {@code chat-heartbeat} (pings and reaps every ping interval) and
 * {@code chat-close} (closes transports, so a close that blocks never holds up a broadcaster).
 */
public final class ChatApp implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ChatApp.class.getName());

    private final ChatConfig config;
    private final Accounts accounts;
    private final HandshakeAuthenticator authenticator;
    private final String nodeId;
    private final ClusterBus bus;
    private final UserStore users;
    private final RoomRegistry rooms;
    private final Connections connections;
    private final RequestDispatcher dispatcher;
    private final HttpApi httpApi;
    private final ScheduledExecutorService heartbeat = Executors.newSingleThreadScheduledExecutor(daemon("chat-heartbeat"));
    private final ExecutorService closer = Executors.newFixedThreadPool(2, daemon("chat-close"));
    /**
     * Starts the sends of idle outboxes, one thread per core: the thread that fans a message out
     * only queues, and what it queues for a connection meanwhile leaves in one coalesced frame.
     */
    private final ExecutorService writer = Executors.newFixedThreadPool(SendStarts.WRITER_THREADS, daemon("chat-write"));
    private final ChatMetrics metrics = new ChatMetrics();
    private volatile boolean stopping;

    private ChatApp(ChatConfig config) {
        this.config = config;
        Clock clock = Clock.systemUTC();
        byte[] secret = config.jwtSecret();
        if (secret == null) {
            secret = new byte[32];
            new SecureRandom().nextBytes(secret);
            LOG.log(Level.WARNING, "CHAT_JWT_SECRET is not set: generated a random key; tokens die with this process");
        }
        this.nodeId = config.nodeId();
        RoomAccess access;
        if (config.clustered()) {
            RedisClusterBus redisBus = new RedisClusterBus(config.redisUrl(), config.redisPrefix(), nodeId,
                    config.presenceTtl(), config.historySize(), config.historyTtl(), config.dedupeWindow(), metrics);
            this.bus = redisBus;
            this.users = new RedisUserStore(redisBus.client(), new RedisKeys(config.redisPrefix()).users());
            access = new RedisRoomAccess(redisBus.client(), config.redisPrefix());
        } else {
            this.bus = new MemoryClusterBus(config.historySize(), config.historyTtl(), config.dedupeWindow());
            this.users = new FileUserStore(config.dataDir());
            access = new MemoryRoomAccess();
        }
        JwtTokenIssuer issuer = new JwtTokenIssuer(secret, config.tokenTtl(), clock);
        this.accounts = new Accounts(users, new PasswordHasher(PasswordHasher.DEFAULT_ITERATIONS), issuer, config.registration());
        IdentityProvider provider = config.jwtJwksUrl() == null ? null : IdentityProvider.remote(
                config.jwtJwksUrl(), config.jwtIssuer(), config.jwtAudience(), config.jwtUserClaim());
        JwtTokenVerifier verifier = new JwtTokenVerifier(secret, users, config.jwtLeeway(), provider, clock);
        this.authenticator = new HandshakeAuthenticator(verifier, new OriginPolicy(config.allowedOrigins()));
        this.rooms = new RoomRegistry(bus, clock, metrics, config.maxText(), config.maxRoomsPerConnection(),
                config.maxRoomMembers(), config.historySize(), config.historyOnJoin(), access);
        this.connections = new Connections(nodeId,
                new Connection.Limits(config.outboxMaxMessages(), config.outboxMaxBytes(), config.ratePerSec(), config.rateBurst()),
                config.maxConnections(), config.maxConnectionsPerUser(), config.idleTimeout().toNanos(), config.jwtLeeway(),
                clock, rooms, closer, writer, metrics);
        this.dispatcher = new RequestDispatcher(rooms, verifier, metrics);
        Map<String, BooleanSupplier> readiness = new LinkedHashMap<>();
        readiness.put("accepting", () -> !stopping);
        if (config.clustered()) {
            readiness.put("redis", bus::healthy);
        }
        LoginThrottle throttle = new LoginThrottle(config.loginMaxFailuresPerUser(),
                config.loginMaxFailuresPerAddress(), config.loginFailureWindow(), System::nanoTime);
        this.httpApi = new HttpApi(accounts, throttle, config, metrics, readiness);
        metrics.gauge("chat.connections.open", "Open WebSocket connections", connections::size);
        metrics.gauge("chat.rooms", "Rooms with members on this node", rooms::roomCount);
        metrics.gauge("chat.room.members", "Room memberships on this node", rooms::memberCount);
    }

    /** Builds and starts a node; the caller owns it and must {@link #close} it. */
    public static ChatApp start(ChatConfig config) {
        ChatApp app = new ChatApp(config);
        app.bus.start(app.rooms);
        long ping = config.pingInterval().toMillis();
        app.heartbeat.scheduleWithFixedDelay(app::beat, ping, ping, TimeUnit.MILLISECONDS);
        LOG.log(Level.INFO, "chat node {0} started with {1}", app.nodeId, config);
        return app;
    }

    private void beat() {
        try {
            connections.heartbeat();
        } catch (RuntimeException e) {
            // a failed tick must not cancel the schedule; the next one retries
            LOG.log(Level.WARNING, "heartbeat failed", e);
        }
    }

    /** Graceful stop: no new connections, queued frames flushed, all closed with 1001, within the grace. */
    @Override
    public void close() {
        stopping = true;
        try {
            connections.shutdown(config.shutdownGrace().toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            heartbeat.shutdownNow();
            closer.shutdown();
            writer.shutdown();
            bus.close();
            metrics.close();
            LOG.log(Level.INFO, "chat node {0} stopped", nodeId);
        }
    }

    public ChatConfig config() {
        return config;
    }

    public HandshakeAuthenticator authenticator() {
        return authenticator;
    }

    public Connections connections() {
        return connections;
    }

    public RequestDispatcher dispatcher() {
        return dispatcher;
    }

    public RoomRegistry rooms() {
        return rooms;
    }

    /** The history epoch the welcome frame names. */
    public String epoch() {
        return bus.epoch();
    }

    public ChatMetrics metrics() {
        return metrics;
    }

    public HttpApi httpApi() {
        return httpApi;
    }

    /** Where transports are closed: off the broadcasting and inbound threads. */
    public ExecutorService closer() {
        return closer;
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
