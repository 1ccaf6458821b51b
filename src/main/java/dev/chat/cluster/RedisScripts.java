package dev.chat.cluster;

/**
 * The Lua scripts that make each cluster step atomic in Redis. Redis runs one script at a time, so
 * the order of PUBLISH calls is the order of seqs, and "first/last of a user in a room" is decided
 * once for the whole cluster. Times are Redis's own clock, so node clocks may disagree.
 */
final class RedisScripts {
    private RedisScripts() {
    }

    /**
     * KEYS: seq, history, sent (the dedupe key). ARGV: channel, payload head, payload tail,
     * history size, history TTL ms, dedupe window ms, "1" when the send has an id, and a second
     * channel or "" (a direct message goes to both users' channels).
     * Returns the seq; a send id seen within the window returns its first seq and does nothing else.
     * The message is in the history before it is published, and both before the caller acks.
     */
    static final String PUBLISH_MESSAGE = """
            if ARGV[7] == '1' then
              local earlier = redis.call('GET', KEYS[3])
              if earlier then return tonumber(earlier) end
            end
            local seq = redis.call('INCR', KEYS[1])
            local message = ARGV[2] .. seq .. ARGV[3]
            redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[4], seq .. '-0', 'm', message)
            redis.call('PEXPIRE', KEYS[2], ARGV[5])
            if ARGV[7] == '1' then
              redis.call('SET', KEYS[3], seq, 'PX', ARGV[6])
            end
            redis.call('PUBLISH', ARGV[1], message)
            if ARGV[8] ~= '' then
              redis.call('PUBLISH', ARGV[8], message)
            end
            return seq
            """;

    /** KEYS: typing throttle. ARGV: period ms, channel, payload. Relays once per period per user and room. */
    static final String TYPING = """
            if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then
              redis.call('PUBLISH', ARGV[2], ARGV[3])
            end
            return 1
            """;

    /**
     * A history read: the latest seq, the oldest seq held (0 if none), then the messages of one
     * range command (XRANGE after a seq, XREVRANGE before one), all read atomically. KEYS: seq,
     * history. ARGV: the range bound, count.
     */
    private static String historyRead(String range) {
        return """
                local latest = tonumber(redis.call('GET', KEYS[1]) or '0')
                local first = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)
                local oldest = 0
                if #first > 0 then oldest = tonumber(string.match(first[1][1], '^(%%d+)')) end
                local out = {latest, oldest}
                for _, e in ipairs(redis.call(%s, 'COUNT', ARGV[2])) do
                  out[#out + 1] = e[2][2]
                end
                return out
                """.formatted(range);
    }

    /** Messages after ARGV[1] ("(N-0"), oldest first. */
    static final String HISTORY_AFTER = historyRead("'XRANGE', KEYS[2], ARGV[1], '+'");

    /** Messages before ARGV[1] ("+" or "(N-0"), newest first. */
    static final String HISTORY_BEFORE = historyRead("'XREVRANGE', KEYS[2], ARGV[1], '-'");

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

}
