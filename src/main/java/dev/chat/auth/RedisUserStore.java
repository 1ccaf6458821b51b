package dev.chat.auth;

import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Users of a cluster, in one Redis hash (name to password hash), so any node can log any user
 * in. Names once seen to exist are remembered, since users are never deleted: the handshake's
 * "does this user exist" check then needs no round trip.
 */
public final class RedisUserStore implements UserStore {
    private final UnifiedJedis redis;
    private final String key;
    private final Set<String> known = ConcurrentHashMap.newKeySet();

    public RedisUserStore(UnifiedJedis redis, String key) {
        this.redis = redis;
        this.key = key;
    }

    @Override
    public boolean create(String username, String passwordHash) {
        try {
            boolean created = retried(() -> redis.hsetnx(key, username, passwordHash)) == 1;
            known.add(username);
            return created;
        } catch (JedisException e) {
            throw new UserStoreUnavailableException(e);
        }
    }

    @Override
    public Optional<String> passwordHash(String username) {
        try {
            Optional<String> hash = Optional.ofNullable(retried(() -> redis.hget(key, username)));
            hash.ifPresent(h -> known.add(username));
            return hash;
        } catch (JedisException e) {
            throw new UserStoreUnavailableException(e);
        }
    }

    /** Once more on a broken pooled connection (left over from before a Redis restart). */
    private static <T> T retried(java.util.function.Supplier<T> command) {
        try {
            return command.get();
        } catch (JedisConnectionException e) {
            return command.get();
        }
    }

    @Override
    public boolean exists(String username) {
        return known.contains(username) || passwordHash(username).isPresent();
    }
}
