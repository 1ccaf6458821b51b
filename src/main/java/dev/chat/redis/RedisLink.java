package dev.chat.redis;

import dev.chat.metrics.ChatMetrics;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.exceptions.JedisConnectionException;

/**
 * A node's link to Redis: the pooled command client, the key names, and whether Redis can be
 * reached now. The bus's subscriber connection decides "up" ({@link #up}); any failed command may
 * decide "down" ({@link #down}). Each outage is logged once and counted; the parts of the node
 * that must act when Redis comes back (resubscribe, re-announce presence) register for it.
 */
public final class RedisLink implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(RedisLink.class.getName());

    private final URI uri;
    private final RedisClient redis;
    private final RedisKeys keys;
    private final ChatMetrics metrics;
    private final List<Runnable> whenUp = new CopyOnWriteArrayList<>();
    private final List<Runnable> whenDown = new CopyOnWriteArrayList<>();
    private volatile boolean healthy;

    public RedisLink(URI uri, String prefix, ChatMetrics metrics) {
        this.uri = uri;
        this.redis = RedisClient.create(uri);
        this.keys = new RedisKeys(prefix);
        this.metrics = metrics;
    }

    URI uri() {
        return uri;
    }

    RedisClient client() {
        return redis;
    }

    RedisKeys keys() {
        return keys;
    }

    ChatMetrics metrics() {
        return metrics;
    }

    public boolean healthy() {
        return healthy;
    }

    void onUp(Runnable r) {
        whenUp.add(r);
    }

    void onDown(Runnable r) {
        whenDown.add(r);
    }

    /** The subscriber is connected again: the pool's old connections are dropped and the parts told. */
    void up() {
        if (healthy) {
            return;
        }
        try {
            redis.getPool().clear(); // connections to the Redis that went away would each fail once
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "clearing the Redis pool failed: {0}", e.toString());
        }
        healthy = true;
        LOG.log(Level.INFO, "Redis at {0} reachable: cross-node delivery on", safeUri());
        metrics.redisReconnected();
        whenUp.forEach(Runnable::run);
    }

    /** A command or the subscriber failed: counted every time, logged once per outage. */
    void down(Exception e) {
        metrics.redisError();
        if (healthy) {
            healthy = false;
            metrics.redisOutage();
            LOG.log(Level.WARNING, "Redis at {0} unreachable ({1}): serving local members only, cross-node delivery paused"
                    + " (messages are still committed; other nodes fill them from the database)", safeUri(), e.toString());
            whenDown.forEach(Runnable::run);
        }
    }

    /**
     * Runs a command, once more if its pooled connection turns out broken: after Redis restarts,
     * the pool still holds connections to the old process, and the first use of each fails. A
     * real outage fails twice and is the caller's to handle.
     */
    <T> T retried(Supplier<T> command) {
        try {
            return command.get();
        } catch (JedisConnectionException e) {
            metrics.redisError();
            return command.get();
        }
    }

    /** The URL without its password, for logs. */
    String safeUri() {
        return uri.getUserInfo() == null ? uri.toString() : uri.toString().replace(uri.getRawUserInfo(), "****");
    }

    @Override
    public void close() {
        redis.close();
    }
}
