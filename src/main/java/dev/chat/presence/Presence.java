package dev.chat.presence;

import dev.chat.event.RoomEvent;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Who is in which room, cluster-wide, and the {@code presence} events when a user enters a room or
 * leaves it for good (first connection in, last connection out, over every node).
 * {@link LocalPresence} is the single-node default; {@code dev.chat.redis.RedisPresence} the
 * clustered one, whose events travel on the bus.
 *
 * <p>Contract: {@link #memberJoined} and {@link #memberLeft} never block on the network (the
 * registry calls them under a room's lock).
 */
public interface Presence extends AutoCloseable {

    /** Where presence changes go (the registry); the clustered one sends them through the bus instead. */
    void start(Consumer<RoomEvent> listener);

    /** A user's first connection on this node entered the room: members everywhere hear of it if the user is new to the room. */
    void memberJoined(String room, String user);

    /** A user's last connection on this node left the room: members everywhere hear of it if it was the user's last in the room. */
    void memberLeft(String room, String user);

    /** Users in the room on other nodes (may include local ones); empty on a single node. May block briefly. */
    Set<String> members(String room);

    @Override
    void close();
}
