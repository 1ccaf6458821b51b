package dev.chat.cluster;

/**
 * The Lua scripts that make each cluster step atomic in Redis. Redis runs one script at a time, so
 * the order of PUBLISH calls is the order of seqs, and "first/last of a user in a room" is decided
 * once for the whole cluster. Times are Redis's own clock, so node clocks may disagree.
 */
final class RedisScripts {
    private RedisScripts() {
    }

    /** KEYS: seq. ARGV: channel, payload head, payload tail. Returns the new seq. */
    static final String PUBLISH_MESSAGE = """
            local seq = redis.call('INCR', KEYS[1])
            redis.call('PUBLISH', ARGV[1], ARGV[2] .. seq .. ARGV[3])
            return seq
            """;

    /**
     * KEYS: presence, members. ARGV: member (user|node), ttl ms, user, channel, payload.
     * Adds or refreshes the entry; a user new to the room is announced.
     */
    static final String JOIN = """
            local t = redis.call('TIME')
            local expiry = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[2])
            if redis.call('ZADD', KEYS[1], expiry, ARGV[1]) == 1 then
              if redis.call('HINCRBY', KEYS[2], ARGV[3], 1) == 1 then
                redis.call('PUBLISH', ARGV[4], ARGV[5])
              end
            end
            return 1
            """;

    /** KEYS: presence, members. ARGV: member, user, channel, payload. A user's last entry going is announced. */
    static final String LEAVE = """
            if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
              if redis.call('HINCRBY', KEYS[2], ARGV[2], -1) <= 0 then
                redis.call('HDEL', KEYS[2], ARGV[2])
                redis.call('PUBLISH', ARGV[3], ARGV[4])
              end
            end
            return 1
            """;

    /**
     * KEYS: presence, members. ARGV: channel, payload head, payload tail (the user goes between).
     * Removes entries whose node stopped refreshing them (it died) and announces users gone with them.
     */
    static final String SWEEP = """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
            for _, member in ipairs(expired) do
              redis.call('ZREM', KEYS[1], member)
              local user = string.match(member, '^(.*)|[^|]*$')
              if redis.call('HINCRBY', KEYS[2], user, -1) <= 0 then
                redis.call('HDEL', KEYS[2], user)
                redis.call('PUBLISH', ARGV[1], ARGV[2] .. user .. ARGV[3])
              end
            end
            return #expired
            """;

    /** KEYS: seq. ARGV: a seq used while Redis was away. Raises the counter past it, never lowers it. */
    static final String RAISE_SEQ = """
            local current = tonumber(redis.call('GET', KEYS[1]) or '0')
            if tonumber(ARGV[1]) > current then
              redis.call('SET', KEYS[1], ARGV[1])
            end
            return 1
            """;
}
