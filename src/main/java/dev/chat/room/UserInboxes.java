package dev.chat.room;

import dev.chat.bus.Bus;
import dev.chat.connection.Connection;
import dev.chat.event.RoomEvent;
import dev.chat.metrics.ChatMetrics;
import dev.chat.protocol.EncodedFrame;
import dev.chat.protocol.ProtocolCodec;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Every open connection of each user on this node, and the bus subscription of each user's
 * channel: where direct messages, invitations, kicks and membership changes go. A user's channel is
 * subscribed with the first connection here and dropped with the last.
 */
final class UserInboxes {
    private final ConcurrentHashMap<String, Set<Connection>> byUser = new ConcurrentHashMap<>();
    private final Bus bus;
    private final ChatMetrics metrics;

    UserInboxes(Bus bus, ChatMetrics metrics) {
        this.bus = bus;
        this.metrics = metrics;
    }

    void opened(Connection c) {
        boolean[] first = {false};
        byUser.compute(c.user(), (u, set) -> {
            if (set == null) {
                set = ConcurrentHashMap.newKeySet();
                first[0] = true;
            }
            set.add(c);
            return set;
        });
        if (first[0]) {
            bus.subscribeUser(c.user());
        }
    }

    /** @return true when that was the user's last connection here (the channel is dropped) */
    boolean closed(Connection c) {
        boolean[] last = {false};
        byUser.computeIfPresent(c.user(), (u, set) -> {
            set.remove(c);
            last[0] = set.isEmpty();
            return last[0] ? null : set;
        });
        if (last[0]) {
            bus.unsubscribeUser(c.user());
        }
        return last[0];
    }

    /** This node's open connections of {@code user}. */
    Set<Connection> of(String user) {
        return byUser.getOrDefault(user, Set.of());
    }

    /** Whether {@code user} has a connection open here. */
    boolean connected(String user) {
        return byUser.containsKey(user);
    }

    /** The test for "still connected here", for forgetting per-user state. */
    Predicate<String> connectedHere() {
        return byUser::containsKey;
    }

    /**
     * A direct message to the connections of {@code users} (both of the pair on one node; the
     * addressed one in a cluster), except the sending connection, which got its ack.
     */
    void deliverDirect(RoomEvent.Posted p, String... users) {
        EncodedFrame frame = ProtocolCodec.encode(WireMessages.of(p, false), p.acceptedNanos());
        int sent = 0;
        for (String user : users.length == 2 && users[0].equals(users[1]) ? new String[] {users[0]} : users) {
            for (Connection c : of(user)) {
                if (!c.id().equals(p.originConnection())) {
                    c.deliverToUser(p.room(), p.seq(), frame);
                    sent++;
                }
            }
        }
        metrics.framesOut("message", sent);
    }
}
