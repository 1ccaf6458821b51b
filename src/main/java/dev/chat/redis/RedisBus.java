package dev.chat.redis;

import dev.chat.bus.Bus;
import dev.chat.bus.NodeCodec;
import dev.chat.event.RoomEvent;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The clustered bus on Redis pub/sub (Jedis): a channel per room and per user, every event encoded
 * by {@link NodeCodec}. Messages reach it committed; it only carries them.
 *
 * <p>Threads: {@code chat-redis-subscriber} owns a dedicated connection, hands every event to the
 * listener, and reconnects with backoff (reset once a subscription is confirmed), resubscribing
 * every channel by itself; once they are all confirmed again it tells the listener
 * {@link Listener#resumed}, which fills from the store what the outage kept away.
 * {@code chat-redis-publish} sends what is published, many events per round trip (pipelined), so the
 * store writer never waits on Redis. {@code chat-redis-control} runs (un)subscribe commands.
 *
 * <p>An event that cannot be published is delivered to this node's own listener instead, and the
 * room is remembered: when Redis is back a {@link RoomEvent.Tip} tells the other nodes that the
 * room has more than they saw, and they fill it from the store.
 */
public final class RedisBus implements Bus {
    private static final System.Logger LOG = System.getLogger(RedisBus.class.getName());
    private static final long MAX_BACKOFF_MILLIS = 2000;
    private static final int MAX_QUEUED = 100_000;
    private static final int MAX_PIPELINE = 1000;

    /** One event on its way out: its channels and its payload. */
    private record Outgoing(RoomEvent event, List<String> channels, String payload) { }

    private final RedisLink link;
    private final RedisKeys keys;
    private final String nodeId;
    private final ScheduledExecutorService control = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "chat-redis-control"));
    private final Thread subscriberThread = new Thread(this::subscribeLoop, "chat-redis-subscriber");
    private final Thread publisherThread = new Thread(this::publishLoop, "chat-redis-publish");
    private final BlockingQueue<Outgoing> outgoing = new ArrayBlockingQueue<>(MAX_QUEUED);
    /** Rooms this node wants events of, each with the future its first subscription completes. */
    private final ConcurrentHashMap<String, CompletableFuture<Void>> subscriptions = new ConcurrentHashMap<>();
    /** Users with connections on this node: their channels carry direct messages, invitations, kicks. */
    private final Set<String> users = ConcurrentHashMap.newKeySet();
    /** Rooms with messages this node committed but could not publish, to their highest seq. */
    private final ConcurrentHashMap<String, Long> unpublished = new ConcurrentHashMap<>();
    private final CountDownLatch firstConnection = new CountDownLatch(1);
    private volatile Listener listener;
    private volatile Subscriber subscriber;
    private volatile boolean running = true;
    private volatile long backoff = 100;
    private volatile boolean everConnected;

    public RedisBus(RedisLink link, String nodeId) {
        this.link = link;
        this.keys = link.keys();
        this.nodeId = nodeId;
        subscriberThread.setDaemon(true);
        publisherThread.setDaemon(true);
        link.onDown(this::dropSubscriber);
    }

    /** Redis failed a command: make the subscriber reconnect rather than hang on a link that may be broken. */
    private void dropSubscriber() {
        Subscriber s = subscriber;
        if (s != null && s.isSubscribed()) {
            try {
                s.unsubscribe();
            } catch (RuntimeException ignored) {
                // the connection is already gone
            }
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    @Override
    public void start(Listener listener) {
        this.listener = listener;
        subscriberThread.start();
        publisherThread.start();
        try {
            if (!firstConnection.await(5, TimeUnit.SECONDS)) {
                LOG.log(Level.WARNING, "Redis at {0} not reachable at start: serving local members only until it is", link.safeUri());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------ subscriber

    private void subscribeLoop() {
        while (running) {
            Subscriber s = new Subscriber();
            try (Jedis jedis = new Jedis(link.uri(), DefaultJedisClientConfig.builder()
                    .socketTimeoutMillis(0) // a subscriber waits for messages indefinitely
                    .connectionTimeoutMillis(2000)
                    .build())) { // user, password, database and TLS come from the URI itself
                // the node's own channel first; its confirmation subscribes every wanted channel
                jedis.subscribe(s, keys.nodeChannel(nodeId)); // returns when unsubscribed or broken
            } catch (JedisException | IllegalStateException e) {
                if (running) {
                    link.down(e);
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
        /** Channels the resubscription after a reconnect waits for, then the listener resumes; 0 when none. */
        private volatile int resumeAt;

        @Override
        public void onSubscribe(String channel, int count) {
            if (channel.equals(keys.nodeChannel(nodeId))) {
                subscriber = this;
                backoff = 100; // connected: the next outage starts from the shortest wait again
                boolean reconnect = everConnected;
                everConnected = true;
                link.up();
                firstConnection.countDown();
                execute(() -> subscribeAll(this, reconnect));
                return;
            }
            if (resumeAt > 0 && count >= resumeAt) {
                resumeAt = 0;
                resume();
            }
            String room = keys.roomOf(channel);
            CompletableFuture<Void> f = room == null ? null : subscriptions.get(room);
            if (f != null) {
                f.complete(null);
            }
        }

        @Override
        public void onMessage(String channel, String message) {
            try {
                RoomEvent event = NodeCodec.decode(message, nodeId, System.nanoTime());
                if (event == null) {
                    LOG.log(Level.WARNING, "dropped a malformed event on {0}", channel);
                    return;
                }
                String user = keys.userOf(channel);
                listener.onEvent(user == null ? event : new RoomEvent.Addressed(user, event));
            } catch (RuntimeException e) {
                // one bad event must not kill the subscriber
                LOG.log(Level.WARNING, "failed to handle an event on " + channel, e);
            }
        }
    }

    /** On (re)connect, on the control thread: every wanted channel in one command; after a reconnect, then resume. */
    private void subscribeAll(Subscriber s, boolean reconnect) {
        String[] channels = Stream.concat(subscriptions.keySet().stream().map(keys::roomChannel),
                users.stream().map(keys::userChannel)).toArray(String[]::new);
        if (channels.length == 0) {
            if (reconnect) {
                resume();
            }
            return;
        }
        if (reconnect) {
            s.resumeAt = channels.length + 1; // the node's own channel counts too
        }
        try {
            s.subscribe(channels);
        } catch (JedisException e) {
            link.down(e);
        }
    }

    /** After an outage: the listener fills its gaps from the store, and the rooms this node could not publish get a tip. */
    private void resume() {
        listener.resumed();
        for (Map.Entry<String, Long> e : Map.copyOf(unpublished).entrySet()) {
            unpublished.remove(e.getKey(), e.getValue());
            publish(new RoomEvent.Tip(e.getKey(), e.getValue()));
        }
    }

    @Override
    public CompletableFuture<Void> subscribe(String room) {
        CompletableFuture<Void> mine = new CompletableFuture<>();
        CompletableFuture<Void> f = subscriptions.putIfAbsent(room, mine);
        if (f == null) {
            f = mine;
            execute(() -> channelCommand(keys.roomChannel(room), () -> subscriptions.containsKey(room))); // after the put
        }
        return link.healthy() ? f : CompletableFuture.completedFuture(null);
    }

    @Override
    public void unsubscribe(String room) {
        execute(() -> {
            // atomic with subscribe()'s putIfAbsent: a member that came back meanwhile keeps the
            // entry; one that comes after the removal makes a new entry and a SUBSCRIBE queued after this
            boolean[] removed = {false};
            subscriptions.computeIfPresent(room, (r, f) -> {
                if (listener.hasLocalMembers(r)) {
                    return f;
                }
                removed[0] = true;
                return null;
            });
            if (removed[0]) {
                channelCommand(keys.roomChannel(room), () -> subscriptions.containsKey(room));
            }
        });
    }

    @Override
    public void subscribeUser(String user) {
        if (users.add(user)) {
            execute(() -> channelCommand(keys.userChannel(user), () -> users.contains(user)));
        }
    }

    @Override
    public void unsubscribeUser(String user) {
        if (users.remove(user)) {
            execute(() -> channelCommand(keys.userChannel(user), () -> users.contains(user)));
        }
    }

    /**
     * On the control thread: (un)subscribes one channel as {@code wanted} says now (a later change
     * decides for itself); a reconnect subscribes every wanted channel anyway.
     */
    private void channelCommand(String channel, java.util.function.BooleanSupplier wanted) {
        Subscriber s = subscriber;
        if (s == null) {
            return;
        }
        try {
            if (wanted.getAsBoolean()) {
                s.subscribe(channel);
            } else {
                s.unsubscribe(channel);
            }
        } catch (JedisException e) {
            link.down(e);
        }
    }

    // ------------------------------------------------------------------ publishing

    @Override
    public void publish(RoomEvent event) {
        String[] pair = RoomEvent.directUsers(event.room());
        List<String> channels = pair == null ? List.of(keys.roomChannel(event.room()))
                : pair[0].equals(pair[1]) ? List.of(keys.userChannel(pair[0]))
                : List.of(keys.userChannel(pair[0]), keys.userChannel(pair[1]));
        enqueue(new Outgoing(event, channels, NodeCodec.encode(event, nodeId)));
    }

    @Override
    public void toUser(String user, RoomEvent event) {
        enqueue(new Outgoing(event, List.of(keys.userChannel(user)), NodeCodec.encode(event, nodeId)));
    }

    /** Queued for the publisher; while Redis is down (or the queue is full) this node's own members get it at once. */
    private void enqueue(Outgoing o) {
        if (!link.healthy() || !outgoing.offer(o)) {
            deliverHere(o);
        }
    }

    private void publishLoop() {
        List<Outgoing> batch = new ArrayList<>(MAX_PIPELINE);
        while (running || !outgoing.isEmpty()) {
            try {
                Outgoing first = outgoing.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                outgoing.drainTo(batch, MAX_PIPELINE - 1);
                send(batch);
            } catch (InterruptedException e) {
                if (!running) {
                    break;
                }
            } finally {
                batch.clear();
            }
        }
    }

    /** One pipeline for the batch; if it fails, this node's members get the events here. */
    private void send(List<Outgoing> batch) {
        try {
            link.retried(() -> {
                try (AbstractPipeline p = link.client().pipelined()) {
                    for (Outgoing o : batch) {
                        for (String channel : o.channels()) {
                            p.publish(channel, o.payload());
                        }
                    }
                    p.sync();
                }
                return null;
            });
        } catch (JedisException e) {
            link.down(e);
            for (Outgoing o : batch) {
                deliverHere(o);
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "publishing to Redis failed", e);
            for (Outgoing o : batch) {
                deliverHere(o);
            }
        }
    }

    /**
     * The event could not travel: this node's own listener gets it as Redis would have brought it
     * (a direct message once per user of the pair), and a message's room is remembered for a tip.
     */
    private void deliverHere(Outgoing o) {
        RoomEvent e = o.event();
        if (e instanceof RoomEvent.Posted p) {
            unpublished.merge(p.room(), p.seq(), Math::max);
        }
        String[] pair = RoomEvent.directUsers(e.room());
        if (pair != null && !(e instanceof RoomEvent.Invitation) && !(e instanceof RoomEvent.Kicked)) {
            listener.onEvent(new RoomEvent.Addressed(pair[0], e));
            if (!pair[0].equals(pair[1])) {
                listener.onEvent(new RoomEvent.Addressed(pair[1], e));
            }
        } else {
            listener.onEvent(e);
        }
    }

    @Override
    public boolean healthy() {
        return link.healthy();
    }

    private void execute(Runnable task) {
        try {
            control.execute(task);
        } catch (RejectedExecutionException e) {
            // stopping: nothing more to tell the cluster
        }
    }

    /** Sends what is queued, then disconnects. */
    @Override
    public void close() {
        running = false;
        try {
            publisherThread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        control.shutdown();
        try {
            control.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Subscriber s = subscriber;
        if (s != null) {
            try {
                s.unsubscribe();
            } catch (RuntimeException ignored) {
                // already disconnected
            }
        }
        subscriberThread.interrupt();
    }
}
