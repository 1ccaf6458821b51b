package dev.chat.room;

import dev.chat.cluster.ClusterBus;
import dev.chat.cluster.RoomEvent;
import dev.chat.connection.Connection;
import dev.chat.metrics.ChatMetrics;
import dev.chat.protocol.EncodedFrame;
import dev.chat.protocol.ErrorCode;
import dev.chat.protocol.ProtocolCodec;
import dev.chat.protocol.ServerFrame;
import java.time.Clock;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The application's rooms and their members on this node. Joins, leaves and sends come in from the
 * connections; accepted messages and presence changes go out through the {@link ClusterBus} and
 * come back through {@link #onEvent}, on every node the same way, where each is encoded once and
 * queued on every local member's outbox. Queuing never blocks, and no lock is held across members.
 */
public final class RoomRegistry implements ClusterBus.Listener, Connection.ConnectionListener {
    private static final System.Logger LOG = System.getLogger(RoomRegistry.class.getName());
    private final ConcurrentHashMap<String, Room> rooms = new ConcurrentHashMap<>();
    private final ClusterBus bus;
    private final Clock clock;
    private final ChatMetrics metrics;
    private final int maxText;
    private final int maxRoomsPerConnection;
    private final int maxRoomMembers;

    public RoomRegistry(ClusterBus bus, Clock clock, ChatMetrics metrics, int maxText, int maxRoomsPerConnection,
                        int maxRoomMembers) {
        this.metrics = metrics;
        this.bus = bus;
        this.clock = clock;
        this.maxText = maxText;
        this.maxRoomsPerConnection = maxRoomsPerConnection;
        this.maxRoomMembers = maxRoomMembers;
    }

    /** How long a join waits for this node's subscription to a new room before answering anyway. */
    private static final long SUBSCRIBE_WAIT_MILLIS = 2000;

    /** Joins a room (idempotent) and answers {@code joined} with its members, before any of its messages. */
    public void join(Connection c, String name, String id) {
        if (!c.rooms().contains(name) && c.rooms().size() >= maxRoomsPerConnection) {
            metrics.limitHit(ErrorCode.TOO_MANY_ROOMS.wire());
            c.send(new ServerFrame.Error(ErrorCode.TOO_MANY_ROOMS,
                    "a connection may be in at most " + maxRoomsPerConnection + " rooms", id));
            return;
        }
        // Network work first, outside any lock: the room's events must flow to this node before
        // the joiner is told it is in, and the members elsewhere are part of the answer.
        awaitSubscription(c, name);
        Set<String> elsewhere = bus.members(name);
        while (true) {
            Room room = rooms.computeIfAbsent(name, Room::new);
            synchronized (room) {
                if (room.dead) {
                    continue; // removed by a concurrent last leave: take the fresh one
                }
                if (!room.members.contains(c)) {
                    if (room.members.size() >= maxRoomMembers) {
                        metrics.limitHit(ErrorCode.ROOM_FULL.wire());
                        c.send(new ServerFrame.Error(ErrorCode.ROOM_FULL,
                                "room " + name + " is full (" + maxRoomMembers + " members)", id));
                        return;
                    }
                    if (room.members.isEmpty()) {
                        // a concurrent last leave may have queued an unsubscribe since the wait
                        // above; subscribing again (idempotent, ordered after it) keeps the room
                        bus.subscribe(name);
                    }
                    c.rooms().add(name);
                    if (room.add(c)) {
                        bus.memberJoined(name, c.user());
                    }
                }
                // Under the lock: no later joiner on this node sees this presence after its own
                // joined list, and no message of the room overtakes the joined reply.
                c.send(new ServerFrame.Joined(name, members(room, elsewhere), id));
                if (!c.isOpen()) {
                    remove(c, name); // closed while joining, after its rooms were left: leave this one too
                }
                return;
            }
        }
    }

    private void awaitSubscription(Connection joiner, String name) {
        try {
            bus.subscribe(name).get(SUBSCRIBE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            LOG.log(System.Logger.Level.WARNING, "subscription to room {0} not confirmed for the join of {1}: {2}",
                    name, joiner, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Local users and those elsewhere, distinct and sorted. Caller holds the room's lock. */
    private static List<String> members(Room room, Set<String> elsewhere) {
        if (elsewhere.isEmpty()) {
            return room.userNames();
        }
        TreeSet<String> all = new TreeSet<>(elsewhere);
        all.addAll(room.userNames());
        return List.copyOf(all);
    }

    public void leave(Connection c, String name, String id) {
        if (!remove(c, name)) {
            c.send(new ServerFrame.Error(ErrorCode.NOT_JOINED, "not in room " + name, id));
            return;
        }
        c.send(new ServerFrame.Left(name, id));
    }

    /** Accepts a message: the bus gives it its seq, then the sender gets the ack. */
    public void send(Connection c, String name, String text, String id) {
        if (!c.rooms().contains(name)) {
            c.send(new ServerFrame.Error(ErrorCode.NOT_JOINED, "join room " + name + " before sending to it", id));
            return;
        }
        if (text.codePointCount(0, text.length()) > maxText) {
            c.send(new ServerFrame.Error(ErrorCode.TOO_LARGE, "text is longer than " + maxText + " characters", id));
            return;
        }
        long accepted = System.nanoTime();
        String ts = DateTimeFormatter.ISO_INSTANT.format(clock.instant().truncatedTo(ChronoUnit.MILLIS));
        long seq = bus.publish(new RoomEvent.Posted(name, c.user(), text, id, c.id(), c.traceId(), 0, ts, accepted));
        c.send(new ServerFrame.Ack(name, id, seq));
    }

    /** A connection ended: it leaves every room, and the others see it go. */
    @Override
    public void closed(Connection c, int code) {
        for (String name : c.rooms()) {
            remove(c, name);
        }
    }

    /** Fans an event out to this node's members: encoded once, queued on each outbox. */
    @Override
    public void onEvent(RoomEvent event) {
        Room room = rooms.get(event.room());
        if (room == null) {
            return;
        }
        if (event instanceof RoomEvent.Posted p) {
            EncodedFrame frame = ProtocolCodec.encode(
                    new ServerFrame.Message(p.room(), p.from(), p.text(), p.clientId(), p.seq(), p.ts()), p.acceptedNanos());
            int sent = 0;
            for (Connection member : room.members) {
                if (!member.id().equals(p.originConnection())) {
                    member.send(frame);
                    sent++;
                }
            }
            metrics.framesOut("message", sent);
        } else if (event instanceof RoomEvent.PresenceChanged p) {
            EncodedFrame frame = ProtocolCodec.encode(new ServerFrame.Presence(p.room(), p.user(), p.state()));
            int sent = 0;
            for (Connection member : room.members) {
                if (!member.user().equals(p.user())) {
                    member.send(frame);
                    sent++;
                }
            }
            metrics.framesOut("presence", sent);
        }
    }

    /** Removes one membership; true if there was one. Publishes {@code left} for the user's last connection. */
    private boolean remove(Connection c, String name) {
        Room room = rooms.get(name);
        if (room == null) {
            return false;
        }
        synchronized (room) {
            if (!room.members.contains(c)) {
                return false;
            }
            c.rooms().remove(name);
            if (room.remove(c)) {
                bus.memberLeft(name, c.user());
            }
            if (room.members.isEmpty()) {
                room.dead = true;
                rooms.remove(name, room);
                bus.unsubscribe(name);
            }
        }
        return true;
    }

    @Override
    public boolean hasLocalMembers(String name) {
        return rooms.containsKey(name);
    }

    /** Rooms with members on this node. */
    public int roomCount() {
        return rooms.size();
    }

    /** Memberships on this node, summed over rooms. */
    public int memberCount() {
        int n = 0;
        for (Room room : rooms.values()) {
            n += room.members.size();
        }
        return n;
    }

    /** Connections in a room on this node (for tests and metrics). */
    public int localMembers(String name) {
        Room room = rooms.get(name);
        return room == null ? 0 : room.members.size();
    }
}
