package dev.chat.cluster;

import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Carries room events between the nodes of a cluster, assigns each room's message sequence, and
 * knows who is in a room cluster-wide. Every event reaches {@link Listener#onEvent} on every node
 * subscribed to its room, the publishing node included, so one node and many deliver through the
 * same path. {@link MemoryClusterBus} is the single-node default; {@link RedisClusterBus} the
 * clustered one.
 *
 * <p>Contract: {@link #subscribe}, {@link #unsubscribe}, {@link #memberJoined} and
 * {@link #memberLeft} never block on the network (the registry calls them under a room's lock);
 * each room's messages reach the listener in {@code seq} order, one at a time per room.
 */
public interface ClusterBus extends AutoCloseable {

    /** The node side of the bus: the room registry. */
    interface Listener {
        /** An event of a room this node subscribed to. */
        void onEvent(RoomEvent event);

        /** Whether the room still has members on this node (checked before unsubscribing); true keeps the subscription. */
        default boolean hasLocalMembers(String room) {
            return true;
        }
    }

    void start(Listener listener);

    /**
     * This node wants the room's events. Idempotent. The future completes once they flow (at once
     * on a single node, and at once while the bus is down: there is nothing to wait for).
     */
    CompletableFuture<Void> subscribe(String room);

    /** This node's last local member left {@code room}; the bus may stop receiving its events. */
    void unsubscribe(String room);

    /** Assigns the room's next {@code seq}, delivers the message everywhere, and returns the seq. */
    long publish(RoomEvent.Posted message);

    /** A user's first connection on this node entered the room: members everywhere hear of it if the user is new to the room. */
    void memberJoined(String room, String user);

    /** A user's last connection on this node left the room: members everywhere hear of it if it was the user's last in the room. */
    void memberLeft(String room, String user);

    /** Users in the room on other nodes (may include local ones); empty on a single node. May block briefly. */
    Set<String> members(String room);

    /** False while the bus cannot reach the other nodes (Redis down); the node then serves its own members. */
    boolean healthy();

    @Override
    void close();
}
