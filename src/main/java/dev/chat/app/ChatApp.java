package dev.chat.app;

import dev.chat.auth.Accounts;
import dev.chat.auth.ClientAddress;
import dev.chat.auth.FileUserStore;
import dev.chat.auth.HandshakeAuthenticator;
import dev.chat.auth.HandshakePeers;
import dev.chat.auth.IdentityProvider;
import dev.chat.auth.JwtTokenIssuer;
import dev.chat.auth.JwtTokenVerifier;
import dev.chat.auth.LoginThrottle;
import dev.chat.auth.OidcDiscovery;
import dev.chat.auth.OidcEndpoints;
import dev.chat.auth.OriginPolicy;
import dev.chat.auth.PasswordHasher;
import dev.chat.auth.RegistrationThrottle;
import dev.chat.auth.Sessions;
import dev.chat.bus.Bus;
import dev.chat.bus.MemoryBus;
import dev.chat.config.ChatConfig;
import dev.chat.connection.Connection;
import dev.chat.connection.Connections;
import dev.chat.connection.OutboxBudget;
import dev.chat.connection.SendStarts;
import dev.chat.event.RoomEvent;
import dev.chat.log.LogSampler;
import dev.chat.metrics.ChatMetrics;
import dev.chat.presence.LocalPresence;
import dev.chat.presence.Presence;
import dev.chat.protocol.UserName;
import dev.chat.redis.RedisBus;
import dev.chat.redis.RedisLink;
import dev.chat.redis.RedisPresence;
import dev.chat.redis.RedisUsers;
import dev.chat.room.AcceptedSends;
import dev.chat.room.DeliveryOrder;
import dev.chat.room.MessageChanges;
import dev.chat.room.Messages;
import dev.chat.room.PrivateRooms;
import dev.chat.room.RoomRegistry;
import dev.chat.store.Database;
import dev.chat.store.JdbcMemberships;
import dev.chat.store.JdbcMessageStore;
import dev.chat.store.JdbcOnlineUsers;
import dev.chat.store.JdbcRoomAccess;
import dev.chat.store.JdbcSessionStore;
import dev.chat.store.JdbcUserStore;
import dev.chat.store.Retention;
import dev.chat.store.StoreUnavailableException;
import dev.chat.store.WebhookOutbox;
import dev.chat.web.Health;
import dev.chat.web.HttpApi;
import dev.chat.web.SecurityHeaders;
import dev.chat.webhook.OnlineUsers;
import dev.chat.webhook.WebhookDelivery;
import java.lang.System.Logger.Level;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The composition root: builds config-driven parts once and wires them (the database and its
 * stores, users, tokens, Origin policy, bus, presence, rooms, connections, HTTP API). A small adapter per runtime starts and stops it: the
 * WAR's {@code ChatWebListener} and the jar's {@code EmbeddedServer}; endpoint instances get it from
 * the configurator.
 *
 * <p>Threads it owns: {@code chat-heartbeat} (pings and reaps every ping interval) and
 * {@code chat-close} (closes transports, so a close that blocks never holds up a broadcaster).
 */
public final class ChatApp implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ChatApp.class.getName());

    private final ChatConfig config;
    private final ChatMetrics metrics = new ChatMetrics();
    private final Accounts accounts;
    private final Sessions sessions;
    private final HandshakeAuthenticator authenticator;
    private final ClientAddress clientAddress;
    private final HandshakePeers handshakePeers = new HandshakePeers(System::nanoTime);
    private final String nodeId;
    private final Database database;
    private final JdbcMessageStore store;
    private final Retention retention;
    private final RedisLink redis;
    private final Bus bus;
    private final Presence presence;
    private final RoomRegistry rooms;
    private final DeliveryOrder order;
    private final Connections connections;
    private final RequestDispatcher dispatcher;
    private final HttpApi httpApi;
    private final String epoch;
    private final ScheduledExecutorService heartbeat = Executors.newSingleThreadScheduledExecutor(daemon("chat-heartbeat"));
    private final ExecutorService closer = Executors.newFixedThreadPool(2, daemon("chat-close"));
    /**
     * Starts the sends of idle outboxes, one thread per core: the thread that fans a message out
     * only queues, and what it queues for a connection meanwhile leaves in one coalesced frame.
     */
    private final ExecutorService writer = Executors.newFixedThreadPool(SendStarts.WRITER_THREADS, daemon("chat-write"));
    private volatile boolean stopping;
    private final JdbcUserStore users;
    /** The bus listener that closes ended sessions' and banned users' connections; set by {@link #start}. */
    private volatile SessionEnds sessionEnds;
    /** Set once {@link #start} has started every part: the startup check's answer. */
    private volatile boolean started;
    private final Health health;
    /** The provider in the page ({@code CHAT_OIDC_ISSUER}), discovered at start; null without one. */
    private final OidcEndpoints oidc;
    /** The page's headers: its Content-Security-Policy allows the provider's token endpoint, if any. */
    private final List<Map.Entry<String, String>> pageHeaders;
    /** Samples the log lines any client can cause at will (rejected handshakes, failed logins): see {@link LogSampler}. */
    private final LogSampler logSampler;
    /** Webhooks ({@code CHAT_WEBHOOK_URL}): the sender and the online users' reports; both null when off. */
    private final WebhookDelivery webhooks;
    private final OnlineUsers onlineUsers;

    private ChatApp(ChatConfig config) {
        this.config = config;
        // first: a provider that never answers fails the start before anything is opened
        this.oidc = config.oidcIssuer() == null ? null : OidcDiscovery.atStart(config.oidcIssuer());
        this.pageHeaders = SecurityHeaders.page(oidc == null ? null : oidc.tokenEndpointOrigin());
        this.logSampler = new LogSampler(config.logSampleLines(), config.logSampleInterval(), System::nanoTime);
        Clock clock = Clock.systemUTC();
        for (String warning : config.warnings()) {
            LOG.log(Level.WARNING, warning);
        }
        byte[] secret = config.jwtSecret();
        if (secret == null) {
            secret = new byte[32];
            new SecureRandom().nextBytes(secret);
            LOG.log(Level.WARNING, "CHAT_JWT_SECRET is not set: generated a random key; tokens die with this process");
        }
        this.nodeId = config.nodeId();
        this.database = Database.open(config, metrics);
        this.epoch = database.epoch();
        JdbcUserStore users = new JdbcUserStore(database, clock);
        this.users = users;
        WebhookOutbox outbox = config.webhooks().enabled() ? WebhookOutbox.of(database)
                : WebhookOutbox.off();
        this.store = new JdbcMessageStore(database, clock, config.dedupeWindow(), metrics, outbox);
        this.retention = config.retention() == null ? null : new Retention(database, config.retention(), clock);
        JdbcRoomAccess access = new JdbcRoomAccess(database, clock, outbox);
        holdPublicRooms(access, config.publicRooms());
        if (config.clustered()) {
            this.redis = new RedisLink(config.redisUrl(), config.redisPrefix(), metrics);
            this.bus = new RedisBus(redis, nodeId);
            this.presence = new RedisPresence(redis, nodeId, config.presenceTtl());
        } else {
            this.redis = null;
            this.bus = new MemoryBus();
            this.presence = new LocalPresence();
        }
        importUsers(users);
        JwtTokenIssuer issuer = new JwtTokenIssuer(secret, config.tokenTtl(), clock);
        this.accounts = new Accounts(users, new PasswordHasher(PasswordHasher.DEFAULT_ITERATIONS), issuer, config.registration());
        // CHAT_JWT_JWKS_URL overrides the discovered key set (a provider reached at another address from here)
        java.net.URI jwks = config.jwtJwksUrl() != null ? config.jwtJwksUrl() : oidc == null ? null : oidc.jwksUri();
        IdentityProvider provider = jwks == null ? null : IdentityProvider.remote(
                jwks, config.jwtIssuer(), config.jwtAudience(), config.jwtUserClaim(),
                config.jwtRolesClaim(), java.util.Set.copyOf(config.adminRoles()));
        // a session's end reaches every node through the ended user's channel (SessionEnds closes its connections there)
        this.sessions = new Sessions(new JdbcSessionStore(database), issuer, config.sessionTtl(), clock, System::nanoTime,
                ended -> bus.toUser(ended.user(), new RoomEvent.SessionsEnded(ended.user(), ended.sessions(), ended.all())));
        JwtTokenVerifier verifier = new JwtTokenVerifier(secret, users, config.jwtLeeway(), provider, clock, config.localAccounts(),
                logSampler, sessions::active);
        OriginPolicy origins = new OriginPolicy(config.allowedOrigins());
        this.clientAddress = ClientAddress.trusting(config.trustedProxies(), config.rfc7239Forwarded());
        this.authenticator = new HandshakeAuthenticator(verifier, origins, clientAddress,
                config.maxHandshakesPerAddressPerSecond(), System::nanoTime);
        JdbcMemberships memberships = new JdbcMemberships(database, clock, outbox);
        this.rooms = new RoomRegistry(bus, presence, store, access, memberships, metrics, config.maxRoomsPerUser(),
                config.maxRoomMembers(), config.replayLimit(), config.historyOnJoin());
        this.order = new DeliveryOrder(rooms, store, metrics);
        rooms.orderedBy(order);
        AcceptedSends accepted = new AcceptedSends(AcceptedSends.NODE_CAPACITY, config.dedupeWindow());
        Messages messages = new Messages(rooms, store, users, access, memberships, bus, clock, config.maxText(),
                config.roomRatePerSec(), config.maxNewDirectsPerDay(), accepted);
        PrivateRooms privateRooms = new PrivateRooms(rooms, access, memberships, store, users, presence, bus,
                config.maxOwnedRoomsPerUser(), config.maxInvitationsPerUser());
        OutboxBudget outboxBudget = OutboxBudget.ofHeap();
        metrics.gauge("chat.outbox.queued.bytes", "Bytes queued in all outboxes of this node; past its own bounds an outbox grows only while this is under a quarter of the heap",
                outboxBudget::queuedBytes);
        this.connections = new Connections(nodeId,
                new Connection.Limits(config.outboxMaxMessages(), config.outboxMaxBytes(), config.ratePerSec(), config.rateBurst(),
                        config.slowConsumerGrace(), outboxBudget),
                config.maxConnections(), config.maxConnectionsPerUser(), config.maxConnectionsPerAddress(),
                config.idleTimeout().toNanos(), config.jwtLeeway(),
                clock, rooms, closer, writer, metrics);
        this.webhooks = outbox.enabled() ? new WebhookDelivery(config.webhooks(), outbox, nodeId, epoch, metrics) : null;
        // who is online on which node is kept in the database for the webhooks' user events, and in a
        // cluster for the server API's "online" (a user connected only to another node, in no room)
        if (outbox.enabled() || (config.clustered() && config.serverApi().enabled())) {
            this.onlineUsers = new OnlineUsers(new JdbcOnlineUsers(database, outbox, clock), nodeId,
                    config.webhooks().offlineDebounce());
            connections.tellUsers(onlineUsers);
        } else {
            this.onlineUsers = null;
        }
        this.dispatcher = new RequestDispatcher(rooms, messages, new MessageChanges(messages, store, access), privateRooms,
                verifier, metrics, accepted);
        this.health = new Health(healthChecks());
        LoginThrottle throttle = new LoginThrottle(config.loginMaxFailuresPerUser(),
                config.loginMaxFailuresPerAddress(), config.loginFailureWindow(), System::nanoTime);
        RegistrationThrottle registrations = new RegistrationThrottle(config.registerMaxPerAddress(), java.time.Duration.ofHours(1),
                System::nanoTime);
        dev.chat.room.Administration admin = new dev.chat.room.Administration(messages, rooms, access, memberships, store, users, bus,
                config.maxRoomsPerUser(), onlineUsers == null ? user -> false : onlineUsers::onlineAnywhere);
        dev.chat.auth.ApiKeys apiKeys = new dev.chat.auth.ApiKeys(config.serverApi().keys(), config.serverApi().allowedAddresses());
        this.httpApi = new HttpApi(accounts, sessions, verifier, throttle, registrations, origins, clientAddress, config, metrics,
                health, logSampler, oidc, apiKeys, admin);
        metrics.gauge("chat.connections.open", "Open WebSocket connections", connections::size);
        metrics.gauge("chat.rooms", "Rooms with members on this node", rooms::roomCount);
        metrics.gauge("chat.room.members", "Room memberships on this node", rooms::memberCount);
    }

    /**
     * Every check {@code health/*} answers, each a volatile read: live while the process answers at all;
     * started once {@link #start} is through; ready while the node accepts connections (DOWN from the start
     * of a graceful stop, while it drains) and reaches the database and, clustered, Redis.
     */
    private List<Health.Check> healthChecks() {
        String store = config.dbJndi() != null ? "jndi" : config.sqliteStore() ? "sqlite" : "postgresql";
        List<Health.Check> checks = new ArrayList<>(List.of(
                new Health.Check("process", Health.Kind.LIVENESS, () -> true, () -> Map.of("node", nodeId)),
                new Health.Check("started", Health.Kind.STARTUP, () -> started,
                        () -> Map.of("node", nodeId, "version", dev.chat.config.Version.current())),
                new Health.Check("accepting", Health.Kind.READINESS, () -> !stopping, () -> Map.of("connections", connections.size())),
                new Health.Check("database", Health.Kind.READINESS, database::healthy, () -> Map.of("store", store))));
        if (config.webhooks().enabled()) {
            // the receiver is no dependency: always UP, its backlog shown
            checks.add(new Health.Check("webhooks", Health.Kind.READINESS, () -> true,
                    () -> Map.of("queued", webhooks.queued(), "oldestAgeSeconds", webhooks.oldestAgeSeconds())));
        }
        if (config.clustered()) {
            checks.add(new Health.Check("redis", Health.Kind.READINESS, bus::healthy, () -> Map.of("prefix", config.redisPrefix())));
        }
        return checks;
    }

    /**
     * Users of earlier versions (the single node's {@code users.json}, a cluster's Redis hash) into
     * the database, at every start: idempotent, and nobody has to register again.
     */
    private void importUsers(JdbcUserStore users) {
        if (FileUserStore.presentIn(config.dataDir())) {
            int n = users.importUsers(localNames(new FileUserStore(config.dataDir()).all(), "users.json"));
            if (n > 0) {
                LOG.log(Level.INFO, "imported {0} users from {1}", n, config.dataDir().resolve("users.json"));
            }
        }
        if (redis != null) {
            try {
                int n = users.importUsers(localNames(RedisUsers.read(redis), "Redis"));
                if (n > 0) {
                    LOG.log(Level.INFO, "imported {0} users from Redis", n);
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "users in Redis could not be read for the import ({0}); the next start tries again", e.toString());
            }
        }
    }

    /**
     * The imported users whose names a local account may have ({@link UserName#isLocal}); earlier
     * versions allowed no others, so one that is not was written by hand: it is left out and
     * counted, never named (the line would carry whatever the file held).
     */
    private static Map<String, String> localNames(Map<String, String> imported, String from) {
        Map<String, String> local = new java.util.HashMap<>();
        imported.forEach((name, hash) -> {
            if (UserName.isLocal(name)) {
                local.put(name, hash);
            }
        });
        if (local.size() < imported.size()) {
            LOG.log(Level.WARNING, "{0} users in {1} not imported: their names are not local account names ({2})",
                    imported.size() - local.size(), from, UserName.LOCAL_RULE);
        }
        return local;
    }

    /** Builds and starts a node; the caller owns it and must {@link #close} it. */
    public static ChatApp start(ChatConfig config) {
        ChatApp app = new ChatApp(config);
        app.presence.start(app.order::onEvent);
        app.sessionEnds = new SessionEnds(app.order, app.sessions, app.rooms, app.closer, app.connections::all, app.users::bannedIfReadable);
        app.bus.start(app.sessionEnds);
        if (app.retention != null) {
            app.retention.start();
        }
        if (app.onlineUsers != null) {
            app.onlineUsers.start();
        }
        if (app.webhooks != null) {
            app.webhooks.start();
        }
        long ping = config.pingInterval().toMillis();
        app.heartbeat.scheduleWithFixedDelay(app::beat, ping, ping, TimeUnit.MILLISECONDS);
        // a flood that stops still gets its "suppressed N similar lines" line
        long sample = config.logSampleInterval().toMillis();
        app.heartbeat.scheduleWithFixedDelay(app::reportSuppressedLines, sample, sample, TimeUnit.MILLISECONDS);
        app.started = true;
        LOG.log(Level.INFO, "chat {0} node {1} started with {2}", dev.chat.config.Version.current(), app.nodeId, config);
        return app;
    }

    private void reportSuppressedLines() {
        try {
            logSampler.reportSuppressed();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "reporting suppressed log lines failed", e); // the schedule goes on
        }
    }

    /** The sampler of the log lines any client can cause at will; the runtime adapters use it too. */
    public LogSampler logSampler() {
        return logSampler;
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
        LOG.log(Level.INFO, "chat node {0} stopping: draining {1} connections (grace {2} ms)", nodeId,
                Integer.toString(connections.size()), Long.toString(config.shutdownGrace().toMillis()));
        // the store first: what is queued is committed and its acks and messages are queued on the
        // outboxes, which the connections' shutdown then flushes; a send after this is answered unavailable
        store.close();
        try {
            connections.shutdown(config.shutdownGrace().toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            heartbeat.shutdownNow();
            if (onlineUsers != null) {
                onlineUsers.close(config.clustered()); // the connections are closed: their users are off this node now
            }
            if (webhooks != null) {
                webhooks.close();
            }
            closer.shutdown();
            writer.shutdown();
            if (retention != null) {
                retention.close();
            }
            presence.close();
            bus.close();
            order.close();
            rooms.close();
            if (redis != null) {
                redis.close();
            }
            database.close();
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

    /** Who a request comes from, for every per-address limit; the jar's TCP cap asks it which peers are proxies. */
    public ClientAddress clientAddress() {
        return clientAddress;
    }

    /** Where the runtime adapters leave each handshake's peer address for the configurator. */
    public HandshakePeers handshakePeers() {
        return handshakePeers;
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

    /** The history epoch the welcome frame names: the database's, so it changes only with the database. */
    public String epoch() {
        return epoch;
    }

    public ChatMetrics metrics() {
        return metrics;
    }

    /** The headers the page and the API are served with ({@link SecurityHeaders#page}, for this node's provider). */
    public List<Map.Entry<String, String>> pageHeaders() {
        return pageHeaders;
    }

    public HttpApi httpApi() {
        return httpApi;
    }

    /** The node's health checks, which {@code health/*} answers; a runtime may register them with its container too. */
    public Health health() {
        return health;
    }

    /** A connection was admitted: a ban stored since its handshake closes it still (see {@link SessionEnds#admitted}). */
    public void admitted(dev.chat.connection.Connection c) {
        SessionEnds ends = sessionEnds;
        if (ends != null) {
            ends.admitted(c);
        }
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

    /** {@code CHAT_PUBLIC_ROOMS}: open to all from the start, so nobody can claim them first. */
    private static void holdPublicRooms(JdbcRoomAccess access, java.util.List<String> rooms) {
        for (String room : rooms) {
            try {
                if (!access.holdPublic(room)) {
                    LOG.log(Level.WARNING, "CHAT_PUBLIC_ROOMS names {0}, which a user created private before: it stays private"
                            + " (its messages are theirs); choose another name, or delete the room from the database", room);
                }
            } catch (StoreUnavailableException e) {
                LOG.log(Level.WARNING, "room {0} could not be held public ({1}); the next start tries again", room, e.getMessage());
            }
        }
    }
}
