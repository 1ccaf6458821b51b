package dev.chat.redis;

/**
 * The Lua scripts that make each presence step atomic in Redis: Redis runs one script at a time,
 * so "first/last of a user in a room" is decided once for the whole cluster. Times are Redis's own
 * clock, so node clocks may disagree. Payloads come encoded by {@code NodeCodec}.
 */
final class RedisScripts {
    private RedisScripts() {
    }

    /**
     * KEYS: presence, members. ARGV: member (user|node), ttl ms, user, channel, payload.
     * Adds or refreshes the entry; a user new to the room is announced. Both keys expire three TTLs
     * after the last refresh of any entry: only live nodes sweep, and only their own rooms, so the
     * keys of a room whose every node died would otherwise stay for good.
     */
    static final String JOIN = """
            local t = redis.call('TIME')
            local ttl = tonumber(ARGV[2])
            local expiry = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + ttl
            if redis.call('ZADD', KEYS[1], expiry, ARGV[1]) == 1 then
              if redis.call('HINCRBY', KEYS[2], ARGV[3], 1) == 1 then
                redis.call('PUBLISH', ARGV[4], ARGV[5])
              end
            end
            redis.call('PEXPIRE', KEYS[1], 3 * ttl)
            redis.call('PEXPIRE', KEYS[2], 3 * ttl)
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
     * KEYS: presence, members. Removes entries whose node stopped refreshing them (it died) and
     * returns the users gone with them, whose {@code left} the caller publishes.
     */
    static final String SWEEP = """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
            local gone = {}
            for _, member in ipairs(expired) do
              redis.call('ZREM', KEYS[1], member)
              local user = string.match(member, '^(.*)|[^|]*$')
              if redis.call('HINCRBY', KEYS[2], user, -1) <= 0 then
                redis.call('HDEL', KEYS[2], user)
                gone[#gone + 1] = user
              end
            end
            return gone
            """;

}
