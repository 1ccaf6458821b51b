package dev.chat.room;

import dev.chat.bus.Bus;
import dev.chat.connection.Connection;
import dev.chat.connection.ReplayGate;
import dev.chat.connection.SendStarts;
import dev.chat.event.RoomEvent;
import dev.chat.metrics.ChatMetrics;
import dev.chat.presence.Presence;
import dev.chat.protocol.EncodedFrame;
import dev.chat.protocol.ErrorCode;
import dev.chat.protocol.ProtocolCodec;
import dev.chat.protocol.ServerFrame;
import dev.chat.store.Memberships;
import dev.chat.store.MessageStore;
import dev.chat.store.RoomAccess;
import dev.chat.store.StoreUnavailableException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * The application's rooms and their members on this node: joins (with the history replay), leaves,
 * typing, and the fan-out of every event that the bus brings back, in order, through
 * {@link DeliveryOrder}. Each event is encoded once and queued on every local member's outbox;
 * queuing never blocks, and no lock is held across members. What a join replays is
 * {@link JoinReplay}'s, what is addressed to one user goes through {@link UserInboxes}; sending is
 * {@link Messages}'s, private rooms are {@link PrivateRooms}'.
 */
public final class RoomRegistry implements Bus.Listener, Connection.ConnectionListener {
    private static final System.Logger LOG = System.getLogger(RoomRegistry.class.getName());
    /** How long a join waits for this node's subscription to a new room before answering anyway. */
    private static final long SUBSCRIBE_WAIT_MILLIS = 2000;

    private final ConcurrentHashMap<String, Room> rooms = new ConcurrentHashMap<>();
    private final UserInboxes inboxes;
    private final JoinReplay replays;
    private final UserRooms userRooms;
    private final Bus bus;
    private final Presence presence;
    private final MessageStore store;
    private final RoomAccess access;
    private final Memberships memberships;
    private final ChatMetrics metrics;
    private final TypingThrottle typing = new TypingThrottle();
    private final int maxRoomsPerUser;
    private final int maxRoomMembers;
    private volatile DeliveryOrder order;

    public RoomRegistry(Bus bus, Presence presence, MessageStore store, RoomAccess access, Memberships memberships,
                        ChatMetrics metrics, int maxRoomsPerUser, int maxRoomMembers, int replayLimit, int historyOnJoin) {
        this.memberships = memberships;
        this.bus = bus;
        this.presence = presence;
        this.store = store;
        this.access = access;
        this.metrics = metrics;
        this.maxRoomsPerUser = maxRoomsPerUser;
        this.maxRoomMembers = maxRoomMembers;
        this.inboxes = new UserInboxes(bus, metrics);
        this.replays = new JoinReplay(store, replayLimit, historyOnJoin);
        this.userRooms = new UserRooms(this, inboxes, memberships, store, bus);
    }

    /** The user-level side of rooms: memberships that follow the user, read positions. */
    public UserRooms userRooms() {
        return userRooms;
    }

    /** Stops following membership changes. */
    public void close() {
        userRooms.close();
    }

    /** The ordering stage in front of this registry (it tells it which rooms have members here). */
    public void orderedBy(DeliveryOrder order) {
        this.order = order;
    }

    /**
     * Joins a room and answers: first the history (every message after {@code since}, or the last
     * {@code historyOnJoin} without it, as {@code replay} messages), then {@code joined} with the
     * members, the room's latest seq and, with {@code since}, whether the gap was recovered. Live
     * messages arriving meanwhile wait behind a {@link ReplayGate}, so none is lost or doubled.
     * The join makes the user a member (stored, until {@code leave}), and the user's other
     * connections follow ({@link UserRooms}). Joining a room the connection joined already answers
     * {@code joined} again and replays nothing: its messages have been reaching this connection all
     * along. A connection in the room by membership only ({@link Connection#takeAttached}) gets the
     * replay up to where its live messages started: those may have reached it before the replay.
     */
    public void join(Connection c, String name, Long since, String id) {
        synchronized (c.membershipLock()) {
            joinLocked(c, name, since, id);
        }
    }

    private void joinLocked(Connection c, String name, Long since, String id) {
        Long attachedAt = c.takeAttached(name);
        if (attachedAt != null) {
            catchUp(c, name, since, attachedAt, id);
            return;
        }
        if (!c.rooms().contains(name) && c.rooms().size() >= maxRoomsPerUser) {
            tooManyRooms(c, id);
            return;
        }
        // Network work first, outside any lock: the room's events must flow to this node before
        // the joiner is told it is in, and the members elsewhere are part of the answer.
        awaitSubscription(c, name);
        Set<String> elsewhere = presence.members(name);
        // the database answers before any room lock is taken: a slow query never holds up the room
        if (!c.rooms().contains(name) && !mayJoin(c, name, id)) {
            return;
        }
        Memberships.Added added = Memberships.Added.ALREADY;
        if (!c.rooms().contains(name)) {
            try {
                added = memberships.add(c.user(), name, maxRoomsPerUser);
            } catch (StoreUnavailableException e) {
                c.send(new ServerFrame.Error(ErrorCode.UNAVAILABLE, "room " + name
                        + " cannot be joined while the database is unreachable; join again shortly", id));
                return;
            }
            if (added == Memberships.Added.LIMIT) {
                tooManyRooms(c, id);
                return;
            }
        }
        List<String> members;
        ReplayGate gate;
        while (true) {
            Room room = rooms.computeIfAbsent(name, Room::new);
            List<String> already = null;
            synchronized (room) {
                if (room.dead) {
                    continue; // removed by a concurrent last leave: take the fresh one
                }
                if (room.members.contains(c)) {
                    already = members(room, elsewhere);
                }
            }
            if (already != null) {
                c.send(new ServerFrame.Joined(name, already, latestSeq(name), since == null ? null : Boolean.TRUE, id));
                return;
            }
            synchronized (room) {
                if (room.dead) {
                    continue;
                }
                if (room.members.contains(c)) {
                    continue; // joined meanwhile by a concurrent join of this connection: answer as above
                }
                if (room.members.size() >= maxRoomMembers) {
                    metrics.limitHit(ErrorCode.ROOM_FULL.wire());
                    c.send(new ServerFrame.Error(ErrorCode.ROOM_FULL,
                            "room " + name + " is full (" + maxRoomMembers + " members)", id));
                    undo(c, name, added);
                    return;
                }
                if (room.members.isEmpty()) {
                    // a concurrent last leave may have queued an unsubscribe since the wait
                    // above; subscribing again (idempotent, ordered after it) keeps the room
                    bus.subscribe(name);
                }
                // The gate goes up before the member is visible to broadcasters: everything live
                // from here on waits behind it, and the history is read after this point.
                gate = c.openGate(name);
                c.rooms().add(name);
                if (room.add(c)) {
                    presence.memberJoined(name, c.user());
                }
                members = members(room, elsewhere);
            }
            break;
        }
        JoinReplay.Replay replay;
        try {
            order.track(name); // a room's first member here: its live messages start after the store's latest
            replay = replays.of(name, since);
        } catch (StoreUnavailableException e) {
            c.closeGate(name, gate, 0);
            remove(c, name);
            c.send(new ServerFrame.Error(ErrorCode.UNAVAILABLE, "the history of room " + name
                    + " cannot be read while the database is unreachable; join again shortly", id));
            undo(c, name, added);
            return;
        }
        for (EncodedFrame batch : replay.batches()) {
            c.sendReplay(batch);
        }
        c.send(new ServerFrame.Joined(name, members, replay.latest(), replay.recovered(), id));
        c.closeGate(name, gate, replay.latest());
        if (!c.isOpen()) {
            remove(c, name); // closed while joining, after its rooms were left: leave this one too
        }
        if (added == Memberships.Added.ADDED) {
            bus.toUser(c.user(), new RoomEvent.Membership(name, c.user(), RoomEvent.JOINED, c.id()));
        }
    }

    /** A join refused after it stored the membership takes it back: a refused join leaves the user outside. */
    private void undo(Connection c, String name, Memberships.Added added) {
        if (added == Memberships.Added.ADDED) {
            try {
                memberships.remove(c.user(), name);
            } catch (StoreUnavailableException e) {
                // kept: the next welcome puts the user's devices in the room, as a join that succeeded would
            }
        }
    }

    private void tooManyRooms(Connection c, String id) {
        metrics.limitHit(ErrorCode.TOO_MANY_ROOMS.wire());
        c.send(new ServerFrame.Error(ErrorCode.TOO_MANY_ROOMS, "a user may be in at most " + maxRoomsPerUser + " rooms", id));
    }

    /**
     * The join of a connection that is in the room by membership: its live messages are those after
     * {@code attachedAt}, so the replay ends there, and no gate is needed.
     */
    private void catchUp(Connection c, String name, Long since, long attachedAt, String id) {
        JoinReplay.Replay replay;
        try {
            replay = replays.of(name, since, attachedAt);
        } catch (StoreUnavailableException e) {
            c.attached(name, attachedAt); // still owed: the next join tries again
            c.send(new ServerFrame.Error(ErrorCode.UNAVAILABLE, "the history of room " + name
                    + " cannot be read while the database is unreachable; join again shortly", id));
            return;
        }
        for (EncodedFrame batch : replay.batches()) {
            c.sendReplay(batch);
        }
        Set<String> elsewhere = presence.members(name);
        List<String> members;
        Room room = rooms.get(name);
        if (room == null) {
            members = List.copyOf(new TreeSet<>(elsewhere));
        } else {
            synchronized (room) {
                members = members(room, elsewhere);
            }
        }
        c.send(new ServerFrame.Joined(name, members, replay.latest(), replay.recovered(), id));
    }

    /**
     * Puts the connection in the room as one of its member's devices, with a gate up: the caller
     * reads where the room stands, queues what tells the client, then closes the gate there (live
     * messages up to it are dropped, later ones flow). Null when the connection is in the room
     * already, the room is full here, or the store cannot start the room's delivery here.
     */
    ReplayGate attach(Connection c, String name) {
        awaitSubscription(c, name);
        ReplayGate gate;
        while (true) {
            Room room = rooms.computeIfAbsent(name, Room::new);
            synchronized (room) {
                if (room.dead) {
                    continue;
                }
                if (room.members.contains(c)) {
                    return null;
                }
                if (room.members.size() >= maxRoomMembers) {
                    metrics.limitHit(ErrorCode.ROOM_FULL.wire());
                    return null;
                }
                if (room.members.isEmpty()) {
                    bus.subscribe(name);
                }
                gate = c.openGate(name);
                c.rooms().add(name);
                if (room.add(c)) {
                    presence.memberJoined(name, c.user());
                }
            }
            break;
        }
        try {
            order.track(name);
        } catch (StoreUnavailableException e) {
            c.closeGate(name, gate, 0);
            remove(c, name);
            return null;
        }
        return gate;
    }

    private Long latestSeq(String name) {
        try {
            return store.latestSeq(name);
        } catch (StoreUnavailableException e) {
            return null;
        }
    }

    /** Whether the user may enter the room; answers the refusal itself. Called outside any room lock. */
    private boolean mayJoin(Connection c, String name, String id) {
        try {
            if (access.mayJoin(name, c.user())) {
                return true;
            }
            c.send(new ServerFrame.Error(ErrorCode.FORBIDDEN, "room " + name + " is private", id));
        } catch (StoreUnavailableException e) {
            c.send(new ServerFrame.Error(ErrorCode.UNAVAILABLE, "room " + name + " cannot be checked while the database is unreachable", id));
        }
        return false;
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

    /** Ends the user's membership: this connection gets {@code left}, the user's others follow ({@link UserRooms}). */
    public void leave(Connection c, String name, String id) {
        synchronized (c.membershipLock()) {
            leaveLocked(c, name, id);
        }
    }

    private void leaveLocked(Connection c, String name, String id) {
        if (!c.rooms().contains(name)) {
            c.send(new ServerFrame.Error(ErrorCode.NOT_JOINED, "not in room " + name, id));
            return;
        }
        try {
            memberships.remove(c.user(), name);
        } catch (StoreUnavailableException e) {
            c.send(new ServerFrame.Error(ErrorCode.UNAVAILABLE, "room " + name
                    + " cannot be left while the database is unreachable; leave again shortly", id));
            return;
        }
        remove(c, name);
        c.send(new ServerFrame.Left(name, id));
        bus.toUser(c.user(), new RoomEvent.Membership(name, c.user(), RoomEvent.LEFT, c.id()));
    }

    /** The user is typing: the others in the room hear of it, at most once per {@link TypingThrottle#PERIOD_MILLIS}. */
    public void typing(Connection c, String name, String id) {
        if (!c.rooms().contains(name)) {
            c.send(new ServerFrame.Error(ErrorCode.NOT_JOINED, "join room " + name + " before typing in it", id));
            return;
        }
        if (typing.allow(name, c.user(), System.nanoTime())) {
            bus.publish(new RoomEvent.Typing(name, c.user()));
        }
    }

    /** The user sent a message to the room: their next typing there is news again, whatever the throttle saw before. */
    void sent(String name, String user) {
        typing.reset(name, user);
    }

    /** A connection ended: it leaves every room, and the others see it go. */
    @Override
    public void closed(Connection c, int code) {
        for (String name : c.rooms()) {
            remove(c, name);
        }
        if (inboxes.closed(c)) {
            order.untrackUser(c.user(), inboxes.connectedHere()); // no longer connected here
        }
    }

    /** The welcome goes out with the user's rooms, which the connection is in from then on. */
    @Override
    public void opening(Connection c, ServerFrame first) {
        if (first instanceof ServerFrame.Welcome welcome) {
            userRooms.opening(c, welcome); // which also makes the connection reachable as its user's
        } else {
            c.send(first);
            c.welcomed(Map.of()); // no conversations listed: nothing addressed to the user waits
            inboxes.opened(c);
            if (!c.isOpen()) {
                inboxes.closed(c);
            }
        }
    }

    /** This node's open connections of {@code user}. */
    public Set<Connection> connectionsOf(String user) {
        return inboxes.of(user);
    }

    /** Whether the room has members on this node. */
    boolean hasRoom(String name) {
        return rooms.containsKey(name);
    }

    /** Fans an event out to this node's members: encoded once, queued on each outbox. */
    @Override
    public void onEvent(RoomEvent event) {
        if (event instanceof RoomEvent.Addressed a) {
            if (a.event() instanceof RoomEvent.Posted p) {
                inboxes.deliverDirect(p, a.user());
            } else {
                onEvent(a.event()); // invitations and kicks name their user already
            }
            return;
        }
        if (event instanceof RoomEvent.Posted p && RoomEvent.directUsers(p.room()) != null) {
            inboxes.deliverDirect(p, RoomEvent.directUsers(p.room()));
            return;
        }
        if (event instanceof RoomEvent.Invitation i) {
            for (Connection c : connectionsOf(i.user())) {
                c.send(new ServerFrame.Invitation(i.room(), i.from()));
            }
            return;
        }
        if (event instanceof RoomEvent.Membership m) {
            userRooms.follow(m);
            return;
        }
        if (event instanceof RoomEvent.ReadMoved r) {
            userRooms.readMoved(r);
            return;
        }
        if (event instanceof RoomEvent.Kicked k) {
            for (Connection c : connectionsOf(k.user())) {
                if (remove(c, k.room())) {
                    c.send(new ServerFrame.Removed(k.room(), k.by(), "kicked"));
                }
            }
            return;
        }
        Room room = rooms.get(event.room());
        if (room == null) {
            return;
        }
        if (event instanceof RoomEvent.Posted p) {
            broadcast(room, p.room(), ProtocolCodec.encode(WireMessages.of(p, false), p.acceptedNanos()), p.seq(),
                    member -> member.id().equals(p.originConnection()), "message");
        } else if (event instanceof RoomEvent.PresenceChanged p) {
            broadcast(room, p.room(), ProtocolCodec.encode(new ServerFrame.Presence(p.room(), p.user(), p.state())), 0,
                    member -> member.user().equals(p.user()), "presence");
        } else if (event instanceof RoomEvent.Typing t) {
            broadcast(room, t.room(), ProtocolCodec.encode(new ServerFrame.Typing(t.room(), t.user())), 0,
                    member -> member.user().equals(t.user()), "typing");
        } else {
            // a new kind of event that nobody taught the fan-out: said loudly, never dropped in silence
            LOG.log(System.Logger.Level.WARNING, "no fan-out for event {0} of room {1}",
                    event.getClass().getSimpleName(), dev.chat.log.LogText.name(event.room()));
        }
    }

    /**
     * Queues one encoded frame on every local member but those {@code skip} names; the members'
     * sends start together after the loop, whatever happens in it (an outbox marked as sending
     * must get its start).
     */
    private void broadcast(Room room, String name, EncodedFrame frame, long seq, Predicate<Connection> skip, String type) {
        SendStarts starts = new SendStarts();
        int sent = 0;
        try {
            for (Connection member : room.members) {
                if (!skip.test(member)) {
                    member.deliver(name, frame, seq, starts);
                    sent++;
                }
            }
        } finally {
            starts.flush();
        }
        metrics.framesOut(type, sent);
    }

    /** Removes one membership; true if there was one. Publishes {@code left} for the user's last connection. */
    boolean remove(Connection c, String name) {
        Room room = rooms.get(name);
        if (room == null) {
            return false;
        }
        synchronized (room) {
            if (!room.members.contains(c)) {
                return false;
            }
            c.left(name);
            if (room.remove(c)) {
                presence.memberLeft(name, c.user());
            }
            if (room.members.isEmpty()) {
                room.dead = true;
                order.untrack(name); // before the room leaves the map: a new first joiner tracks it afresh
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

    /** The users connected to the room now, on every node: this node's and what presence knows of the others. */
    public Set<String> online(String name) {
        Set<String> users = new java.util.TreeSet<>(presence.members(name));
        Room room = rooms.get(name);
        if (room != null) {
            synchronized (room) {
                users.addAll(room.userNames());
            }
        }
        return users;
    }

    /** Connections in a room on this node (for tests and metrics). */
    public int localMembers(String name) {
        Room room = rooms.get(name);
        return room == null ? 0 : room.members.size();
    }
}
