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
import dev.chat.store.HistorySlice;
import dev.chat.store.MessageStore;
import dev.chat.store.RoomAccess;
import dev.chat.store.StoreUnavailableException;
import java.util.ArrayList;
import java.util.List;
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
 * queuing never blocks, and no lock is held across members. Sending is {@link Messages}'s, private
 * rooms are {@link PrivateRooms}'.
 */
public final class RoomRegistry implements Bus.Listener, Connection.ConnectionListener {
    private static final System.Logger LOG = System.getLogger(RoomRegistry.class.getName());
    /** How long a join waits for this node's subscription to a new room before answering anyway. */
    private static final long SUBSCRIBE_WAIT_MILLIS = 2000;
    private static final int REPLAY_BATCH_CHARS = 64 * 1024;

    private final ConcurrentHashMap<String, Room> rooms = new ConcurrentHashMap<>();
    /** Every open connection of each user on this node: where direct messages, invitations and kicks go. */
    private final ConcurrentHashMap<String, Set<Connection>> byUser = new ConcurrentHashMap<>();
    private final Bus bus;
    private final Presence presence;
    private final MessageStore store;
    private final RoomAccess access;
    private final ChatMetrics metrics;
    private final TypingThrottle typing = new TypingThrottle();
    private final int maxRoomsPerConnection;
    private final int maxRoomMembers;
    private final int replayLimit;
    private final int historyOnJoin;
    private volatile DeliveryOrder order;

    public RoomRegistry(Bus bus, Presence presence, MessageStore store, RoomAccess access, ChatMetrics metrics,
                        int maxRoomsPerConnection, int maxRoomMembers, int replayLimit, int historyOnJoin) {
        this.bus = bus;
        this.presence = presence;
        this.store = store;
        this.access = access;
        this.metrics = metrics;
        this.maxRoomsPerConnection = maxRoomsPerConnection;
        this.maxRoomMembers = maxRoomMembers;
        this.replayLimit = replayLimit;
        this.historyOnJoin = historyOnJoin;
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
     * Joining a room the connection is in answers {@code joined} again and replays nothing: its
     * messages have been reaching this connection all along.
     */
    public void join(Connection c, String name, Long since, String id) {
        if (!c.rooms().contains(name) && c.rooms().size() >= maxRoomsPerConnection) {
            metrics.limitHit(ErrorCode.TOO_MANY_ROOMS.wire());
            c.send(new ServerFrame.Error(ErrorCode.TOO_MANY_ROOMS,
                    "a connection may be in at most " + maxRoomsPerConnection + " rooms", id));
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
        Replay replay;
        try {
            order.track(name); // a room's first member here: its live messages start after the store's latest
            replay = replay(name, since);
        } catch (StoreUnavailableException e) {
            c.closeGate(name, gate, 0);
            remove(c, name);
            c.send(new ServerFrame.Error(ErrorCode.UNAVAILABLE, "the history of room " + name
                    + " cannot be read while the database is unreachable; join again shortly", id));
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
    }

    /** What a join sends before {@code joined}: message batches, the latest seq, and whether the gap was recovered. */
    private record Replay(List<EncodedFrame> batches, long latest, Boolean recovered) { }

    /**
     * The gap after {@code since} when the store holds it whole and it is at most the replay limit;
     * otherwise (or without {@code since}) the latest {@code historyOnJoin}: a fresh view, from
     * which the client pages back with {@code history}.
     */
    private Replay replay(String name, Long since) {
        if (since != null) {
            HistorySlice slice = store.after(name, since, replayLimit);
            long gap = slice.latestSeq() - since;
            List<RoomEvent.Posted> got = slice.messages();
            if (gap >= 0 && got.size() == gap && (gap == 0 || got.get(0).seq() == since + 1)) {
                return new Replay(batches(got), slice.latestSeq(), Boolean.TRUE);
            }
        }
        HistorySlice latest = store.before(name, Long.MAX_VALUE, historyOnJoin);
        return new Replay(batches(latest.messages()), latest.latestSeq(), since == null ? null : Boolean.FALSE);
    }

    /** Replayed messages as frames of up to 64 KiB, objects separated by newlines as protocol v1 allows. */
    private static List<EncodedFrame> batches(List<RoomEvent.Posted> messages) {
        List<EncodedFrame> out = new ArrayList<>();
        StringBuilder sb = new StringBuilder();
        for (RoomEvent.Posted p : messages) {
            String json = ProtocolCodec.encode(message(p, true)).json();
            if (sb.length() > 0 && sb.length() + 1 + json.length() > REPLAY_BATCH_CHARS) {
                out.add(EncodedFrame.of(sb.toString()));
                sb.setLength(0);
            }
            if (sb.length() > 0) {
                sb.append('\n');
            }
            sb.append(json);
        }
        if (sb.length() > 0) {
            out.add(EncodedFrame.of(sb.toString()));
        }
        return out;
    }

    /** The wire form of a stored message; a direct one names its recipient instead of a room. */
    static ServerFrame.Message message(RoomEvent.Posted p, boolean replay) {
        String[] pair = RoomEvent.directUsers(p.room());
        String room = pair == null ? p.room() : null;
        String to = pair == null ? null : pair[0].equals(p.from()) ? pair[1] : pair[0];
        return new ServerFrame.Message(room, p.from(), to, p.text(), p.clientId(), p.seq(), p.isoTs(),
                replay ? Boolean.TRUE : null);
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

    public void leave(Connection c, String name, String id) {
        if (!remove(c, name)) {
            c.send(new ServerFrame.Error(ErrorCode.NOT_JOINED, "not in room " + name, id));
            return;
        }
        c.send(new ServerFrame.Left(name, id));
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

    /** A connection ended: it leaves every room, and the others see it go. */
    @Override
    public void closed(Connection c, int code) {
        for (String name : c.rooms()) {
            remove(c, name);
        }
        boolean[] last = {false};
        byUser.computeIfPresent(c.user(), (u, set) -> {
            set.remove(c);
            last[0] = set.isEmpty();
            return last[0] ? null : set;
        });
        if (last[0]) {
            bus.unsubscribeUser(c.user());
            order.untrackUser(c.user(), byUser::containsKey); // byUser no longer holds this user
        }
    }

    @Override
    public void opened(Connection c) {
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

    /** This node's open connections of {@code user}. */
    public Set<Connection> connectionsOf(String user) {
        return byUser.getOrDefault(user, Set.of());
    }

    /** Whether the room has members on this node. */
    boolean hasRoom(String name) {
        return rooms.containsKey(name);
    }

    /** To the connections of {@code users} (both of the pair on one node; the addressed one in a cluster). */
    private void deliverDirect(RoomEvent.Posted p, String... users) {
        EncodedFrame frame = ProtocolCodec.encode(message(p, false), p.acceptedNanos());
        int sent = 0;
        for (String user : users.length == 2 && users[0].equals(users[1]) ? new String[] {users[0]} : users) {
            for (Connection c : connectionsOf(user)) {
                if (!c.id().equals(p.originConnection())) {
                    c.send(frame);
                    sent++;
                }
            }
        }
        metrics.framesOut("message", sent);
    }

    /** Fans an event out to this node's members: encoded once, queued on each outbox. */
    @Override
    public void onEvent(RoomEvent event) {
        if (event instanceof RoomEvent.Addressed a) {
            if (a.event() instanceof RoomEvent.Posted p) {
                deliverDirect(p, a.user());
            } else {
                onEvent(a.event()); // invitations and kicks name their user already
            }
            return;
        }
        if (event instanceof RoomEvent.Posted p && RoomEvent.directUsers(p.room()) != null) {
            deliverDirect(p, RoomEvent.directUsers(p.room()));
            return;
        }
        if (event instanceof RoomEvent.Invitation i) {
            for (Connection c : connectionsOf(i.user())) {
                c.send(new ServerFrame.Invitation(i.room(), i.from()));
            }
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
            broadcast(room, p.room(), ProtocolCodec.encode(message(p, false), p.acceptedNanos()), p.seq(),
                    member -> member.id().equals(p.originConnection()), "message");
        } else if (event instanceof RoomEvent.PresenceChanged p) {
            broadcast(room, p.room(), ProtocolCodec.encode(new ServerFrame.Presence(p.room(), p.user(), p.state())), 0,
                    member -> member.user().equals(p.user()), "presence");
        } else if (event instanceof RoomEvent.Typing t) {
            broadcast(room, t.room(), ProtocolCodec.encode(new ServerFrame.Typing(t.room(), t.user())), 0,
                    member -> member.user().equals(t.user()), "typing");
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

    /** Connections in a room on this node (for tests and metrics). */
    public int localMembers(String name) {
        Room room = rooms.get(name);
        return room == null ? 0 : room.members.size();
    }
}
