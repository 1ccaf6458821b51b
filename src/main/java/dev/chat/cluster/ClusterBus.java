package dev.chat.cluster;

import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Carries room events between the nodes of a cluster, assigns each room's message sequence, keeps
 * each room's history, and knows who is in a room cluster-wide. Every event reaches {@link Listener#onEvent} on every node
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

    /**
     * Assigns the room's next {@code seq}, stores (for a direct message, whose room is
     * {@link RoomEvent#directRoom}, it reaches both users' connections everywhere instead), stores the message in the room's history, delivers it
     * everywhere, and returns the seq; stored before it returns, so an ack means durable for the
     * history's lifetime. A message whose sender and id were already accepted in the room within
     * the dedupe window is not published again: its first seq is returned.
     *
     * @throws BusUnavailableException when the store cannot be reached; nothing happened
     */
    long publish(RoomEvent.Posted message);

    /** Messages with seq above {@code afterSeq}, oldest first, at most {@code limit}, with the latest seq. */
    HistorySlice after(String room, long afterSeq, int limit);

    /** The newest messages with seq below {@code beforeSeq} (Long.MAX_VALUE: up to the latest), oldest first. */
    HistorySlice before(String room, long beforeSeq, int limit);

    /** A user's first connection on this node entered the room: members everywhere hear of it if the user is new to the room. */
    void memberJoined(String room, String user);

    /** A user's last connection on this node left the room: members everywhere hear of it if it was the user's last in the room. */
    void memberLeft(String room, String user);

    /** This node has a first connection of {@code user}: events addressed to the user must reach it. */
    void subscribeUser(String user);

    /** This node's last connection of {@code user} closed. */
    void unsubscribeUser(String user);

    /** Sends an event to every connection of one user, on every node (an invitation, a kick). */
    void toUser(String user, RoomEvent event);

    /** Typing period: a user's typing in a room is relayed at most once per this many milliseconds. */
    long TYPING_PERIOD_MILLIS = 3000;

    /** Relays "user is typing" to the room's members everywhere, at most once per user and room per {@link #TYPING_PERIOD_MILLIS}. */
    void typing(String room, String user);

    /** Users in the room on other nodes (may include local ones); empty on a single node. May block briefly. */
    Set<String> members(String room);

    /** The name of the history the seqs belong to (see the welcome frame); null when not known yet. */
    String epoch();

    /** False while the bus cannot reach the other nodes (Redis down); the node then serves its own members. */
    boolean healthy();

    @Override
    void close();
}
