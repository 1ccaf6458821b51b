package dev.chat.cluster;

import dev.chat.metrics.ChatMetrics;
import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The clustered bus on Redis (Jedis). Messages are sequenced, stored and published by one Lua
 * script per send ({@code INCR}, {@code XADD} to the room's history stream, {@code PUBLISH}), so
 * the channel carries each room's messages in seq order and every published message is already
 * in the history; every node, the publishing one included, receives them on its subscriber
 * connection and hands them to the registry. Presence is a sorted set of {@code user|node} entries per room with
 * expiries that live nodes refresh, so a node that dies stops being listed within the presence TTL.
 *
 * <p>Threads: {@code chat-redis-subscriber} owns a dedicated connection, delivers every event, and
 * reconnects with backoff, resubscribing every room by itself. {@code chat-redis-control} runs
 * everything that must not block a room's lock: (un)subscribe commands, presence scripts, the
 * periodic refresh and sweep, and the recovery after an outage. Commands use a pooled client.
 *
 * <p>While Redis is unreachable the node keeps its members connected, joined and told of presence
 * on this node, but accepts no message ({@link BusUnavailableException}): an ack must mean stored
 * in the cluster's history, and a message seen only on one node would break the gap-free seq.
 */
public final class RedisClusterBus implements ClusterBus {
    private static final System.Logger LOG = System.getLogger(RedisClusterBus.class.getName());
    private static final long MAX_BACKOFF_MILLIS = 2000;

    private final URI uri;
    private final RedisClient redis;
    private final RedisKeys keys;
    private final String nodeId;
    private final long presenceTtlMillis;
    private final ChatMetrics metrics;
    private final Jsonb jsonb = JsonbBuilder.create();
    private final ScheduledExecutorService control = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "chat-redis-control");
        t.setDaemon(true);
        return t;
    });
    /** Rooms this node wants events of, each with the future its first subscription completes. */
    private final ConcurrentHashMap<String, CompletableFuture<Void>> subscriptions = new ConcurrentHashMap<>();
    /** Users with a local membership, per room: what this node refreshes in Redis. */
    private final ConcurrentHashMap<String, Set<String>> localUsers = new ConcurrentHashMap<>();
    private final CountDownLatch firstConnection = new CountDownLatch(1);
    private final Thread subscriberThread = new Thread(this::subscribeLoop, "chat-redis-subscriber");
    private volatile Listener listener;
    private volatile Subscriber subscriber;
    private volatile boolean healthy;
    private volatile boolean running = true;

    private final int historySize;
    private final long historyTtlMillis;
    private final long dedupeWindowMillis;

    public RedisClusterBus(URI uri, String prefix, String nodeId, Duration presenceTtl, int historySize,
                           Duration historyTtl, Duration dedupeWindow, ChatMetrics metrics) {
        this.historySize = historySize;
        this.historyTtlMillis = historyTtl.toMillis();
        this.dedupeWindowMillis = dedupeWindow.toMillis();
        this.uri = uri;
        this.redis = RedisClient.create(uri);
        this.keys = new RedisKeys(prefix);
        this.nodeId = nodeId;
        this.presenceTtlMillis = presenceTtl.toMillis();
        this.metrics = metrics;
        subscriberThread.setDaemon(true);
    }

    /** The pooled command client, shared with the Redis user store. */
    public RedisClient client() {
        return redis;
    }

    @Override
    public void start(Listener listener) {
        this.listener = listener;
        subscriberThread.start();
        long every = Math.max(100, presenceTtlMillis / 3);
        control.scheduleWithFixedDelay(this::maintain, every, every, TimeUnit.MILLISECONDS);
        try {
            if (!firstConnection.await(5, TimeUnit.SECONDS)) {
                LOG.log(Level.WARNING, "Redis at {0} not reachable at start: serving local members only until it is", safeUri());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------ subscriber

    private void subscribeLoop() {
        long backoff = 100;
        while (running) {
            Subscriber s = new Subscriber();
            try (Jedis jedis = new Jedis(uri, DefaultJedisClientConfig.builder()
                    .socketTimeoutMillis(0) // a subscriber waits for messages indefinitely
                    .connectionTimeoutMillis(2000)
                    .build())) { // user, password, database and TLS come from the URI itself
                // the node's own channel first; its confirmation subscribes every wanted room
                jedis.subscribe(s, keys.nodeChannel(nodeId)); // returns when unsubscribed or broken
                backoff = 100;
            } catch (JedisException | IllegalStateException e) {
                if (running) {
                    markDown(e);
                }
            } finally {
                subscriber = null;
            }
            if (running) {
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException e) {
                    return;
                }
                backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
            }
        }
    }

    /** Receives on the subscriber thread; the only place events enter the node from Redis. */
    private final class Subscriber extends JedisPubSub {
        @Override
        public void onSubscribe(String channel, int count) {
            if (channel.equals(keys.nodeChannel(nodeId))) {
                subscriber = this;
                execute(RedisClusterBus.this::subscribeAll);
                markUp();
                firstConnection.countDown();
                return;
            }
            String room = keys.roomOf(channel);
            CompletableFuture<Void> f = room == null ? null : subscriptions.get(room);
            if (f != null) {
                f.complete(null);
            }
        }

        @Override
        public void onMessage(String channel, String message) {
            RoomEvent event = null;
            try {
                RoomEvent received = decode(message, System.nanoTime());
                String user = keys.userOf(channel);
                if (user != null) {
                    received = new RoomEvent.Addressed(user, received);
                }
                event = received;
                listener.onEvent(received);
            } catch (RuntimeException e) {
                // one bad event must not kill the subscriber: log it with its channel (and, for a
                // message, its sender's connection and trace) and go on
                String about = event instanceof RoomEvent.Posted p
                        ? " (message " + p.seq() + " from connection " + p.originConnection() + ", trace " + p.originTrace() + ")"
                        : "";
                LOG.log(Level.WARNING, "dropped an event on " + channel + about, e);
            }
        }
    }

    // ------------------------------------------------------------------ health

    private void markUp() {
        if (!healthy) {
            // pooled connections to the Redis that went away would each fail once: drop them now
            try {
                redis.getPool().clear();
            } catch (RuntimeException e) {
                LOG.log(Level.DEBUG, "clearing the Redis pool failed: {0}", e.toString());
            }
            healthy = true;
            LOG.log(Level.INFO, "Redis at {0} reachable: cross-node delivery on", safeUri());
            metrics.redisReconnected();
            execute(this::recover);
        }
    }

    /** Logged once per outage, counted every time. */
    private void markDown(Exception e) {
        metrics.redisError();
        if (healthy) {
            healthy = false;
            metrics.redisOutage();
            LOG.log(Level.WARNING, "Redis at {0} unreachable ({1}): serving local members only, cross-node delivery paused",
                    safeUri(), e.toString());
            Subscriber s = subscriber;
            if (s != null && s.isSubscribed()) {
                try {
                    s.unsubscribe(); // make the subscriber reconnect rather than hang on a broken link
                } catch (RuntimeException ignored) {
                    // the connection is already gone
                }
            }
        }
    }

    @Override
    public boolean healthy() {
        return healthy;
    }

    private volatile String epoch;

    /** The cluster's history epoch, created by the first node that asks; null while Redis is away. */
    @Override
    public String epoch() {
        String e = epoch;
        if (e == null && healthy) {
            try {
                String mine = java.util.UUID.randomUUID().toString();
                retried(() -> redis.set(keys.epoch(), mine, SetParams.setParams().nx()));
                e = retried(() -> redis.get(keys.epoch()));
                epoch = e;
            } catch (JedisException ex) {
                markDown(ex);
            }
        }
        return e;
    }

    /** After an outage: re-announce this node's presence (entries may have expired meanwhile). */
    private void recover() {
        maintain();
    }

    // ------------------------------------------------------------------ subscriptions

    @Override
    public CompletableFuture<Void> subscribe(String room) {
        CompletableFuture<Void> mine = new CompletableFuture<>();
        CompletableFuture<Void> f = subscriptions.putIfAbsent(room, mine);
        if (f == null) {
            f = mine;
            execute(() -> sendSubscribe(room)); // after the put, so the control thread sees it wanted
        }
        return healthy ? f : CompletableFuture.completedFuture(null);
    }

    /** On (re)connect, on the control thread: every wanted room in one command. */
    private void subscribeAll() {
        Subscriber s = subscriber;
        String[] channels = java.util.stream.Stream.concat(
                subscriptions.keySet().stream().map(keys::roomChannel),
                users.stream().map(keys::userChannel)).toArray(String[]::new);
        if (s != null && channels.length > 0) {
            try {
                s.subscribe(channels);
            } catch (JedisException e) {
                markDown(e);
            }
        }
    }

    /** Users with connections on this node: their channels carry direct messages, invitations, kicks. */
    private final Set<String> users = ConcurrentHashMap.newKeySet();

    @Override
    public void subscribeUser(String user) {
        if (users.add(user)) {
            execute(() -> channelCommand(user, true));
        }
    }

    @Override
    public void unsubscribeUser(String user) {
        if (users.remove(user)) {
            execute(() -> channelCommand(user, false));
        }
    }

    /** On the control thread; a reconnect subscribes every wanted channel anyway. */
    private void channelCommand(String user, boolean subscribe) {
        Subscriber s = subscriber;
        if (s == null || subscribe != users.contains(user)) {
            return; // not connected, or changed again meanwhile: the later command decides
        }
        try {
            if (subscribe) {
                s.subscribe(keys.userChannel(user));
            } else {
                s.unsubscribe(keys.userChannel(user));
            }
        } catch (JedisException e) {
            markDown(e);
        }
    }

    @Override
    public void toUser(String user, RoomEvent event) {
        String payload;
        if (event instanceof RoomEvent.Invitation i) {
            payload = "{\"k\":\"i\",\"room\":\"" + i.room() + "\",\"user\":\"" + i.user() + "\",\"from\":\"" + i.from() + "\"}";
        } else if (event instanceof RoomEvent.Kicked k) {
            payload = "{\"k\":\"x\",\"room\":\"" + k.room() + "\",\"user\":\"" + k.user() + "\",\"by\":\"" + k.by() + "\"}";
        } else {
            throw new IllegalArgumentException("not a user event: " + event);
        }
        try {
            retried(() -> redis.publish(keys.userChannel(user), payload));
        } catch (JedisException e) {
            markDown(e);
            throw new BusUnavailableException(e);
        }
    }

    private void sendSubscribe(String room) {
        Subscriber s = subscriber;
        if (s != null && subscriptions.containsKey(room)) {
            try {
                s.subscribe(keys.roomChannel(room));
            } catch (JedisException e) {
                markDown(e); // the reconnect subscribes every wanted room
            }
        }
    }

    @Override
    public void unsubscribe(String room) {
        execute(() -> {
            if (listener.hasLocalMembers(room)) {
                return; // a member came back meanwhile
            }
            subscriptions.remove(room);
            Subscriber s = subscriber;
            if (s != null) {
                try {
                    s.unsubscribe(keys.roomChannel(room));
                } catch (JedisException e) {
                    markDown(e);
                }
            }
        });
    }

    // ------------------------------------------------------------------ messages

    @Override
    public long publish(RoomEvent.Posted message) {
        if (!healthy) {
            throw new BusUnavailableException(null);
        }
        String room = message.room();
        String tail = "," + jsonb.toJson(new PostedWire(room, message.from(), message.text(),
                message.clientId(), message.originConnection(), message.originTrace(), message.ts(),
                nodeId, message.acceptedNanos())).substring(1);
        boolean hasId = message.clientId() != null;
        String[] pair = RoomEvent.directUsers(room);
        String channel = pair == null ? keys.roomChannel(room) : keys.userChannel(pair[0]);
        String second = pair == null || pair[0].equals(pair[1]) ? "" : keys.userChannel(pair[1]);
        try {
            Object seq = eval(RedisScripts.PUBLISH_MESSAGE,
                    List.of(keys.seq(room), keys.history(room), hasId ? keys.sent(room, message.from(), message.clientId()) : keys.seq(room)),
                    List.of(channel, "{\"k\":\"m\",\"seq\":", tail, Integer.toString(historySize),
                            Long.toString(historyTtlMillis), Long.toString(dedupeWindowMillis), hasId ? "1" : "0", second));
            return (Long) seq;
        } catch (JedisException e) {
            markDown(e);
            throw new BusUnavailableException(e);
        }
    }

    @Override
    public HistorySlice after(String room, long afterSeq, int limit) {
        return history(RedisScripts.HISTORY_AFTER, room, "(" + afterSeq + "-0", limit, false);
    }

    @Override
    public HistorySlice before(String room, long beforeSeq, int limit) {
        return history(RedisScripts.HISTORY_BEFORE, room, beforeSeq == Long.MAX_VALUE ? "+" : "(" + beforeSeq + "-0", limit, true);
    }

    /** Reads a range of the room's stream; messages older than the history TTL count as gone. */
    private HistorySlice history(String script, String room, String bound, int limit, boolean newestFirst) {
        if (!healthy) {
            throw new BusUnavailableException(null);
        }
        List<?> reply;
        try {
            // COUNT must be positive; a limit of 0 only wants the seqs
            reply = (List<?>) eval(script, List.of(keys.seq(room), keys.history(room)),
                    List.of(bound, Integer.toString(Math.max(1, limit))));
        } catch (JedisException e) {
            markDown(e);
            throw new BusUnavailableException(e);
        }
        long latest = (Long) reply.get(0);
        long oldest = (Long) reply.get(1);
        java.time.Instant expired = java.time.Instant.now().minusMillis(historyTtlMillis);
        List<RoomEvent.Posted> messages = new java.util.ArrayList<>();
        for (Object raw : limit == 0 ? List.of() : reply.subList(2, reply.size())) {
            RoomEvent.Posted p = (RoomEvent.Posted) decode((String) raw, 0);
            if (!java.time.Instant.parse(p.ts()).isBefore(expired)) {
                messages.add(p);
            } else if (p.seq() >= oldest) {
                oldest = p.seq() + 1; // expired by age: no longer held
            }
        }
        if (newestFirst) {
            java.util.Collections.reverse(messages);
        }
        return new HistorySlice(messages, latest, oldest);
    }

    /**
     * A message on the wire without its seq, which the script splices in. {@code acc} is the accepting
     * node's {@link System#nanoTime}, meaningful only to that node ({@code node}).
     */
    public record PostedWire(String room, String from, String text, String id, String origin, String trace,
                             String ts, String node, long acc) { }

    /** @param arrivedNanos when the event arrived: the start of the delivery latency of a message from another node */
    private RoomEvent decode(String message, long arrivedNanos) {
        Map<?, ?> m = jsonb.fromJson(message, Map.class);
        String room = (String) m.get("room");
        if ("m".equals(m.get("k"))) {
            long accepted = nodeId.equals(m.get("node")) && m.get("acc") instanceof Number acc ? acc.longValue() : arrivedNanos;
            return new RoomEvent.Posted(room, (String) m.get("from"), (String) m.get("text"), (String) m.get("id"),
                    (String) m.get("origin"), (String) m.get("trace"), ((Number) m.get("seq")).longValue(),
                    (String) m.get("ts"), accepted);
        }
        if ("t".equals(m.get("k"))) {
            return new RoomEvent.Typing(room, (String) m.get("user"));
        }
        if ("i".equals(m.get("k"))) {
            return new RoomEvent.Invitation(room, (String) m.get("user"), (String) m.get("from"));
        }
        if ("x".equals(m.get("k"))) {
            return new RoomEvent.Kicked(room, (String) m.get("user"), (String) m.get("by"));
        }
        return new RoomEvent.PresenceChanged(room, (String) m.get("user"), (String) m.get("state"));
    }

    // ------------------------------------------------------------------ presence

    @Override
    public void memberJoined(String room, String user) {
        localUsers.computeIfAbsent(room, r -> ConcurrentHashMap.newKeySet()).add(user);
        execute(() -> {
            if (!healthy || !runPresence(RedisScripts.JOIN, room, user, RoomEvent.JOINED)) {
                listener.onEvent(new RoomEvent.PresenceChanged(room, user, RoomEvent.JOINED));
            }
        });
    }

    @Override
    public void memberLeft(String room, String user) {
        localUsers.computeIfPresent(room, (r, users) -> {
            users.remove(user);
            return users.isEmpty() ? null : users;
        });
        execute(() -> {
            if (!healthy || !runPresence(RedisScripts.LEAVE, room, user, RoomEvent.LEFT)) {
                listener.onEvent(new RoomEvent.PresenceChanged(room, user, RoomEvent.LEFT));
            }
        });
    }

    /** Runs the join or leave script; false when Redis failed (the caller delivers locally). */
    private boolean runPresence(String script, String room, String user, String state) {
        List<String> args = state.equals(RoomEvent.JOINED)
                ? List.of(user + "|" + nodeId, Long.toString(presenceTtlMillis), user, keys.roomChannel(room), presencePayload(room, user, state))
                : List.of(user + "|" + nodeId, user, keys.roomChannel(room), presencePayload(room, user, state));
        try {
            eval(script, List.of(keys.presence(room), keys.members(room)), args);
            return true;
        } catch (JedisException e) {
            markDown(e);
            return false;
        }
    }

    /** Room and user names are restricted to characters that need no JSON escaping. */
    private static String presencePayload(String room, String user, String state) {
        return presenceHead(room, state) + user + "\"}";
    }

    private static String presenceHead(String room, String state) {
        return "{\"k\":\"p\",\"room\":\"" + room + "\",\"state\":\"" + state + "\",\"user\":\"";
    }

    /** Best effort: typing is a hint, so an outage drops it rather than failing anything. */
    @Override
    public void typing(String room, String user) {
        if (!healthy) {
            return;
        }
        try {
            eval(RedisScripts.TYPING, List.of(keys.typing(room, user)), List.of(Long.toString(TYPING_PERIOD_MILLIS),
                    keys.roomChannel(room), "{\"k\":\"t\",\"room\":\"" + room + "\",\"user\":\"" + user + "\"}"));
        } catch (JedisException e) {
            markDown(e);
        }
    }

    @Override
    public Set<String> members(String room) {
        if (!healthy) {
            return Set.of();
        }
        try {
            sweep(room);
            return new HashSet<>(retried(() -> redis.hkeys(keys.members(room))));
        } catch (JedisException e) {
            markDown(e);
            return Set.of();
        }
    }

    private void sweep(String room) {
        eval(RedisScripts.SWEEP, List.of(keys.presence(room), keys.members(room)),
                List.of(keys.roomChannel(room), presenceHead(room, RoomEvent.LEFT), "\"}"));
    }

    /** Every presence TTL/3: refresh this node's entries (re-adding any that were swept) and sweep dead nodes' ones. */
    private void maintain() {
        if (!healthy) {
            return;
        }
        try {
            retried(this::refreshAndSweep);
        } catch (JedisException e) {
            markDown(e);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "presence refresh failed", e); // the next tick retries
        }
    }

    /** One pipeline: re-add or extend this node's entries, sweep the rooms it is in. */
    private Void refreshAndSweep() {
        try (AbstractPipeline p = redis.pipelined()) {
            for (Map.Entry<String, Set<String>> e : localUsers.entrySet()) {
                String room = e.getKey();
                for (String user : e.getValue()) {
                    p.eval(RedisScripts.JOIN, List.of(keys.presence(room), keys.members(room)),
                            List.of(user + "|" + nodeId, Long.toString(presenceTtlMillis), user, keys.roomChannel(room),
                                    presencePayload(room, user, RoomEvent.JOINED)));
                }
                p.eval(RedisScripts.SWEEP, List.of(keys.presence(room), keys.members(room)),
                        List.of(keys.roomChannel(room), presenceHead(room, RoomEvent.LEFT), "\"}"));
            }
            p.sync();
        }
        return null;
    }

    // ------------------------------------------------------------------ plumbing

    /**
     * Runs a command, once more if its pooled connection turns out broken: after Redis restarts,
     * the pool still holds connections to the old process, and the first use of each fails. A
     * real outage fails twice and is the caller's to handle.
     */
    private <T> T retried(java.util.function.Supplier<T> command) {
        try {
            return command.get();
        } catch (JedisConnectionException e) {
            metrics.redisError();
            return command.get();
        }
    }

    private Object eval(String script, List<String> keys, List<String> args) {
        return retried(() -> redis.eval(script, keys, args));
    }

    private void execute(Runnable task) {
        try {
            control.execute(task);
        } catch (RejectedExecutionException e) {
            // stopping: nothing more to tell the cluster
        }
    }

    /** The URL without its password, for logs. */
    private String safeUri() {
        return uri.getUserInfo() == null ? uri.toString() : uri.toString().replace(uri.getRawUserInfo(), "****");
    }

    /** Lets queued presence changes reach Redis (this node's members leave at shutdown), then disconnects. */
    @Override
    public void close() {
        control.shutdown();
        try {
            control.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        running = false;
        Subscriber s = subscriber;
        if (s != null) {
            try {
                s.unsubscribe();
            } catch (RuntimeException ignored) {
                // already disconnected
            }
        }
        subscriberThread.interrupt();
        redis.close();
    }
}
