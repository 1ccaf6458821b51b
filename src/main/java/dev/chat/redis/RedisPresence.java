package dev.chat.redis;

import dev.chat.bus.NodeCodec;
import dev.chat.event.RoomEvent;
import dev.chat.presence.Presence;
import java.lang.System.Logger.Level;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Cluster-wide presence in Redis: a sorted set of {@code user|node} entries per room, scored by
 * their expiry (Redis's clock), and a per-user count; scripts decide "first in" and "last out" for
 * the whole cluster and publish the {@code presence} event on the room's channel, so it reaches
 * every node through the bus. Live nodes refresh their entries every TTL/3 and sweep expired ones,
 * so the users of a node that died are listed no longer than the TTL.
 *
 * <p>Runs its Redis work on {@code chat-redis-presence}, never under a room lock. While Redis is
 * away, changes are announced to this node's own members only; when it is back every entry is
 * re-announced.
 */
public final class RedisPresence implements Presence {
    private static final System.Logger LOG = System.getLogger(RedisPresence.class.getName());

    private final RedisLink link;
    private final RedisKeys keys;
    private final String nodeId;
    private final long ttlMillis;
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "chat-redis-presence");
        t.setDaemon(true);
        return t;
    });
    /** Users with a local membership, per room: what this node refreshes in Redis. */
    private final ConcurrentHashMap<String, Set<String>> localUsers = new ConcurrentHashMap<>();
    private volatile Consumer<RoomEvent> listener;

    public RedisPresence(RedisLink link, String nodeId, java.time.Duration ttl) {
        this.link = link;
        this.keys = link.keys();
        this.nodeId = nodeId;
        this.ttlMillis = ttl.toMillis();
        link.onUp(() -> execute(this::maintain)); // entries may have expired meanwhile
    }

    @Override
    public void start(Consumer<RoomEvent> listener) {
        this.listener = listener;
        long every = Math.max(100, ttlMillis / 3);
        worker.scheduleWithFixedDelay(this::maintain, every, every, TimeUnit.MILLISECONDS);
    }

    @Override
    public void memberJoined(String room, String user) {
        localUsers.computeIfAbsent(room, r -> ConcurrentHashMap.newKeySet()).add(user);
        execute(() -> {
            if (!link.healthy() || !run(RedisScripts.JOIN, room, user, RoomEvent.JOINED)) {
                listener.accept(new RoomEvent.PresenceChanged(room, user, RoomEvent.JOINED));
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
            if (!link.healthy() || !run(RedisScripts.LEAVE, room, user, RoomEvent.LEFT)) {
                listener.accept(new RoomEvent.PresenceChanged(room, user, RoomEvent.LEFT));
            }
        });
    }

    /** Runs the join or leave script; false when Redis failed (the caller announces locally). */
    private boolean run(String script, String room, String user, String state) {
        String payload = NodeCodec.encode(new RoomEvent.PresenceChanged(room, user, state), nodeId);
        List<String> args = state.equals(RoomEvent.JOINED)
                ? List.of(entry(user), Long.toString(ttlMillis), user, keys.roomChannel(room), payload)
                : List.of(entry(user), user, keys.roomChannel(room), payload);
        try {
            link.retried(() -> link.client().eval(script, List.of(keys.presence(room), keys.members(room)), args));
            return true;
        } catch (JedisException e) {
            link.down(e);
            return false;
        }
    }

    private String entry(String user) {
        return user + "|" + nodeId;
    }

    @Override
    public Set<String> members(String room) {
        if (!link.healthy()) {
            return Set.of();
        }
        try {
            announceLeft(room, link.retried(() -> link.client().eval(RedisScripts.SWEEP,
                    List.of(keys.presence(room), keys.members(room)), List.of())));
            return new HashSet<>(link.retried(() -> link.client().hkeys(keys.members(room))));
        } catch (JedisException e) {
            link.down(e);
            return Set.of();
        }
    }

    /** The users a sweep found gone, announced on the room's channel. */
    private void announceLeft(String room, Object swept) {
        if (!(swept instanceof List<?> gone) || gone.isEmpty()) {
            return;
        }
        try (AbstractPipeline p = link.client().pipelined()) {
            for (Object user : gone) {
                p.publish(keys.roomChannel(room), NodeCodec.encode(new RoomEvent.PresenceChanged(room, (String) user, RoomEvent.LEFT), nodeId));
            }
            p.sync();
        }
    }

    /** Every TTL/3: refresh this node's entries (re-adding any that were swept) and sweep dead nodes' ones. */
    private void maintain() {
        if (!link.healthy()) {
            return;
        }
        try {
            link.retried(this::refreshAndSweep);
        } catch (JedisException e) {
            link.down(e);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "presence refresh failed", e); // the next tick retries
        }
    }

    /** One pipeline: re-add or extend this node's entries and sweep the rooms it is in; then announce who left. */
    private Void refreshAndSweep() {
        Map<String, Response<Object>> sweeps = new java.util.HashMap<>();
        try (AbstractPipeline p = link.client().pipelined()) {
            for (Map.Entry<String, Set<String>> e : localUsers.entrySet()) {
                String room = e.getKey();
                for (String user : e.getValue()) {
                    p.eval(RedisScripts.JOIN, List.of(keys.presence(room), keys.members(room)),
                            List.of(entry(user), Long.toString(ttlMillis), user, keys.roomChannel(room),
                                    NodeCodec.encode(new RoomEvent.PresenceChanged(room, user, RoomEvent.JOINED), nodeId)));
                }
                sweeps.put(room, p.eval(RedisScripts.SWEEP, List.of(keys.presence(room), keys.members(room)), List.of()));
            }
            p.sync();
        }
        for (Map.Entry<String, Response<Object>> e : sweeps.entrySet()) {
            announceLeft(e.getKey(), e.getValue().get());
        }
        return null;
    }

    private void execute(Runnable task) {
        try {
            worker.execute(task);
        } catch (RejectedExecutionException e) {
            // stopping: nothing more to tell the cluster
        }
    }

    /** Lets queued presence changes reach Redis (this node's members leave at shutdown). */
    @Override
    public void close() {
        worker.shutdown();
        try {
            worker.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
