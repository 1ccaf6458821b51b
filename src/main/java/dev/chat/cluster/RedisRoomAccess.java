package dev.chat.cluster;

import dev.chat.room.RoomAccess;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Room ownership and invitations of a cluster, in Redis: a hash {@code room:NAME:acl} (owner,
 * private) and a set {@code room:NAME:invited}. What was read is remembered, so while Redis is
 * away the node still knows the rooms it has seen; a room it has never seen cannot be joined
 * until Redis is back ({@link BusUnavailableException}), which fails closed, never open.
 */
public final class RedisRoomAccess implements RoomAccess {
    private static final String CREATE = """
            if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
            redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'private', ARGV[2])
            return 1
            """;
    private static final String MAY_JOIN = """
            local acl = redis.call('HMGET', KEYS[1], 'owner', 'private')
            if not acl[1] then return {'', '0', 0} end
            return {acl[1], acl[2], redis.call('SISMEMBER', KEYS[2], ARGV[1])}
            """;

    private record Acl(String owner, boolean isPrivate, Set<String> invited) { }

    private static final Acl PUBLIC = new Acl("", false, Set.of());

    private final UnifiedJedis redis;
    private final String prefix;
    private final ConcurrentHashMap<String, Acl> seen = new ConcurrentHashMap<>();

    public RedisRoomAccess(UnifiedJedis redis, String prefix) {
        this.redis = redis;
        this.prefix = prefix;
    }

    private String acl(String room) {
        return prefix + "room:" + room + ":acl";
    }

    private String invited(String room) {
        return prefix + "room:" + room + ":invited";
    }

    @Override
    public boolean create(String room, String owner, boolean isPrivate) {
        try {
            boolean created = (Long) redis.eval(CREATE, List.of(acl(room)), List.of(owner, isPrivate ? "1" : "0")) == 1;
            if (created) {
                seen.put(room, new Acl(owner, isPrivate, ConcurrentHashMap.newKeySet()));
            }
            return created;
        } catch (JedisException e) {
            throw new BusUnavailableException(e);
        }
    }

    @Override
    public boolean mayJoin(String room, String user) {
        try {
            List<?> r = (List<?>) redis.eval(MAY_JOIN, List.of(acl(room), invited(room)), List.of(user));
            String owner = (String) r.get(0);
            boolean isPrivate = "1".equals(r.get(1));
            boolean isInvited = ((Long) r.get(2)) == 1;
            Acl acl = owner.isEmpty() ? PUBLIC : seen.computeIfAbsent(room, k -> new Acl(owner, isPrivate, ConcurrentHashMap.newKeySet()));
            seen.putIfAbsent(room, acl);
            if (isInvited && acl != PUBLIC) {
                acl.invited().add(user);
            }
            return !isPrivate || owner.equals(user) || isInvited;
        } catch (JedisException e) {
            Acl acl = seen.get(room);
            if (acl == null) {
                throw new BusUnavailableException(e); // never seen: fail closed
            }
            return !acl.isPrivate() || acl.owner().equals(user) || acl.invited().contains(user);
        }
    }

    @Override
    public boolean invite(String room, String by, String user) {
        try {
            Map<String, String> acl = redis.hgetAll(acl(room));
            if (!by.equals(acl.get("owner"))) {
                return false;
            }
            redis.sadd(invited(room), user);
            return true;
        } catch (JedisException e) {
            throw new BusUnavailableException(e);
        }
    }

    @Override
    public void revoke(String room, String user) {
        try {
            redis.srem(invited(room), user);
            Acl acl = seen.get(room);
            if (acl != null) {
                acl.invited().remove(user);
            }
        } catch (JedisException e) {
            throw new BusUnavailableException(e);
        }
    }
}
