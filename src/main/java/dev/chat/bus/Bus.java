package dev.chat.bus;

import dev.chat.event.RoomEvent;
import java.util.concurrent.CompletableFuture;

/**
 * Carries room events between the nodes of a cluster: publish and subscribe, nothing else. A room
 * is a channel, and so is a user (direct messages, invitations, kicks). Every event reaches
 * {@link Listener#onEvent} on every node subscribed to its channel, the publishing node included,
 * so one node and many deliver through the same path. {@link MemoryBus} is the single-node
 * default; {@code dev.chat.redis.RedisBus} the clustered one. The bus neither sequences nor stores:
 * messages reach it committed, with their seq, and a node that missed some fills them from the store.
 *
 * <p>Contract: no method blocks on the network (the registry calls some under a room's lock, the
 * store writer calls {@link #publish}). A bus that cannot carry an event delivers it to this node's
 * own listener instead, so local members never wait for a bus that is down.
 */
public interface Bus extends AutoCloseable {

    /** The node side of the bus. */
    interface Listener {
        /** An event of a channel this node subscribed to. */
        void onEvent(RoomEvent event);

        /** Whether the room still has members on this node (checked before unsubscribing); true keeps the subscription. */
        default boolean hasLocalMembers(String room) {
            return true;
        }

        /** The bus was interrupted and works again: events published meanwhile never arrived here. */
        default void resumed() {
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

    /** This node has a first connection of {@code user}: events addressed to the user must reach it. */
    void subscribeUser(String user);

    /** This node's last connection of {@code user} closed. */
    void unsubscribeUser(String user);

    /**
     * Publishes a room event: a committed message (a direct one, whose room is
     * {@link RoomEvent#directRoom}, to both users' channels), typing, or a room's tip.
     */
    void publish(RoomEvent event);

    /** Sends an event to every connection of one user, on every node (an invitation, a kick). */
    void toUser(String user, RoomEvent event);

    /** False while the bus cannot reach the other nodes (Redis down); the node then serves its own members. */
    boolean healthy();

    @Override
    void close();
}
