package dev.chat.room;

import dev.chat.connection.Connection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This node's members of one room. Membership changes under the room's monitor; broadcasts read
 * {@link #members} without it (a concurrent set), so no lock is held while fanning out.
 */
final class Room {
    final String name;
    /** Read by broadcasters without the lock. */
    final Set<Connection> members = ConcurrentHashMap.newKeySet();
    /** Connections per user, for user-level presence; guarded by this. */
    private final Map<String, Integer> users = new HashMap<>();
    /** Set when the room was removed from the registry; a joiner that finds it dead retries. Guarded by this. */
    boolean dead;

    Room(String name) {
        this.name = name;
    }

    /** Adds a member; true when it is the user's first connection here. Caller holds the lock. */
    boolean add(Connection c) {
        members.add(c);
        return users.merge(c.user(), 1, Integer::sum) == 1;
    }

    /** Removes a member; true when it was the user's last connection here. Caller holds the lock. */
    boolean remove(Connection c) {
        if (!members.remove(c)) {
            return false;
        }
        return users.compute(c.user(), (u, n) -> n == null || n <= 1 ? null : n - 1) == null;
    }

    /** Distinct user names, sorted. Caller holds the lock. */
    List<String> userNames() {
        return users.keySet().stream().sorted().toList();
    }
}
