package dev.chat.cluster;

/**
 * Carries room events between the nodes of a cluster and assigns each room's message sequence.
 * Every event reaches {@link Listener#onEvent} on every node subscribed to its room, the publishing
 * node included, so one node and many deliver through the same path. {@link MemoryClusterBus} is
 * the single-node default.
 *
 * <p>Contract: {@link #subscribe}, {@link #unsubscribe} and {@link #publish(RoomEvent.PresenceChanged)}
 * never block on the network (the registry calls them under a room's lock, which is what orders a
 * presence change against joins); each room's messages reach the listener in {@code seq} order,
 * one at a time per room.
 */
public interface ClusterBus extends AutoCloseable {

    /** Receives every event of the rooms this node subscribed to. */
    interface Listener {
        void onEvent(RoomEvent event);
    }

    void start(Listener listener);

    /** This node has its first local member in {@code room}. */
    void subscribe(String room);

    /** This node's last local member left {@code room}. */
    void unsubscribe(String room);

    /** Assigns the room's next {@code seq}, delivers the message everywhere, and returns the seq. */
    long publish(RoomEvent.Posted message);

    void publish(RoomEvent.PresenceChanged presence);

    @Override
    void close();
}
