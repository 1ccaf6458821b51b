package dev.chat.room;

import dev.chat.bus.Bus;
import dev.chat.connection.Connection;
import dev.chat.connection.ReplayGate;
import dev.chat.event.RoomEvent;
import dev.chat.protocol.ErrorCode;
import dev.chat.protocol.ServerFrame;
import dev.chat.store.Memberships;
import dev.chat.store.MessageStore;
import dev.chat.store.RoomState;
import dev.chat.store.StoreUnavailableException;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

/**
 * Rooms that follow the user: every connection of a member is in the room, whether or not it sent
 * {@code join}. A connection enters its user's rooms as it opens, and {@code welcome} lists them
 * with their seqs, read positions and counts; a join or leave on one connection reaches the user's
 * other connections on every node as {@code membership}; and {@code read} moves the user's read
 * position, which every connection of the user hears. Following runs on {@code chat-membership}
 * (one thread, so one user's changes keep their order), never on the bus's subscriber thread: it
 * waits for subscriptions and reads the store.
 */
public final class UserRooms {
    private static final System.Logger LOG = System.getLogger(UserRooms.class.getName());

    private final RoomRegistry registry;
    private final UserInboxes inboxes;
    private final Memberships memberships;
    private final MessageStore store;
    private final Bus bus;
    /**
     * Per-user locks (striped): a connection opening reads its user's rooms and becomes reachable
     * as that user's while no membership change of the user is being followed here, so a change
     * is either in what it read or reaches it afterwards, never neither, and never before its welcome.
     */
    private final Object[] userLocks = new Object[64];
    private final ExecutorService follower = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "chat-membership");
        t.setDaemon(true);
        return t;
    });

    UserRooms(RoomRegistry registry, UserInboxes inboxes, Memberships memberships, MessageStore store, Bus bus) {
        this.registry = registry;
        this.inboxes = inboxes;
        this.memberships = memberships;
        this.store = store;
        this.bus = bus;
        for (int i = 0; i < userLocks.length; i++) {
            userLocks[i] = new Object();
        }
    }

    private Object lockOf(String user) {
        return userLocks[Math.floorMod(user.hashCode(), userLocks.length)];
    }

    /**
     * As a connection opens: it enters its user's rooms behind gates, the welcome goes out with where
     * the user stands in each conversation, and each gate closes at the seq the welcome gave, so
     * the live messages the connection gets are exactly those after it. Without the store the
     * welcome carries no rooms, and the connection is in none until it joins.
     */
    void opening(Connection c, ServerFrame.Welcome welcome) {
        synchronized (lockOf(c.user())) {
            // reachable as the user's before the states are read: a direct message committed after the
            // read reaches it (held until the welcome is queued), one before is in the welcome's seq
            inboxes.opened(c);
            Map<String, Long> seqs = Map.of();
            try {
                synchronized (c.membershipLock()) {
                    seqs = enter(c, welcome);
                }
            } finally {
                c.welcomed(seqs); // whatever happened: nothing may wait for a welcome for good
            }
            if (!c.isOpen()) {
                inboxes.closed(c); // closed while opening, maybe before it was reachable: forget it
            }
        }
    }

    /** Sends the welcome with the user's rooms, which the connection enters; answers each conversation's seq in it. */
    private Map<String, Long> enter(Connection c, ServerFrame.Welcome welcome) {
        List<String> names;
        try {
            names = memberships.roomsOf(c.user());
        } catch (StoreUnavailableException e) {
            c.send(welcome);
            return Map.of();
        }
        Map<String, ReplayGate> gates = new LinkedHashMap<>();
        for (String name : names) {
            ReplayGate gate = registry.attach(c, name);
            if (gate != null) {
                gates.put(name, gate);
            }
        }
        List<RoomState> states;
        try {
            states = memberships.statesOf(c.user());
        } catch (StoreUnavailableException e) {
            for (Map.Entry<String, ReplayGate> g : gates.entrySet()) {
                c.closeGate(g.getKey(), g.getValue(), 0);
                registry.remove(c, g.getKey());
            }
            c.send(welcome);
            return Map.of();
        }
        Map<String, Long> seqs = new HashMap<>();
        for (RoomState s : states) {
            seqs.put(s.room(), s.seq());
        }
        c.send(welcome.withRooms(wire(c.user(), states)));
        for (Map.Entry<String, ReplayGate> g : gates.entrySet()) {
            long seq = seqs.getOrDefault(g.getKey(), 0L);
            c.attached(g.getKey(), seq);
            c.closeGate(g.getKey(), g.getValue(), seq);
            if (!c.isOpen()) {
                registry.remove(c, g.getKey()); // closed while opening, after its rooms were left
            }
        }
        return seqs;
    }

    /** Answers {@code rooms}: every conversation of the user, as in {@code welcome}. */
    public void rooms(Connection c, String id) {
        try {
            c.send(new ServerFrame.Rooms(wire(c.user(), memberships.statesOf(c.user())), id));
        } catch (StoreUnavailableException e) {
            c.send(new ServerFrame.Error(ErrorCode.UNAVAILABLE, "the rooms cannot be read while the database is unreachable", id));
        }
    }

    /**
     * Moves the user's read position in a room ({@code room}) or a direct conversation ({@code with})
     * forward; the connection gets the answer, the user's others (every node) the news.
     */
    public void read(Connection c, String room, String with, long seq, String id) {
        String key = room != null ? room : RoomEvent.directRoom(c.user(), with);
        RoomState state;
        try {
            state = memberships.markRead(c.user(), key, seq);
        } catch (StoreUnavailableException e) {
            c.send(new ServerFrame.Error(ErrorCode.UNAVAILABLE, "the read position waits for the database; send it again shortly", id));
            return;
        }
        if (state == null) {
            c.send(new ServerFrame.Error(ErrorCode.NOT_JOINED, room != null ? "not a member of room " + room
                    : "no conversation with " + with, id));
            return;
        }
        ServerFrame.RoomState w = wire(c.user(), state);
        c.send(new ServerFrame.Read(w.room(), w.with(), state.read(), state.unread(), state.mentions(), id));
        bus.toUser(c.user(), new RoomEvent.ReadMoved(key, c.user(), state.read(), state.unread(), state.mentions(), c.id()));
    }

    /** On the bus's thread: the user's other connections here follow a membership change, off it. */
    void follow(RoomEvent.Membership m) {
        try {
            follower.execute(() -> {
                try {
                    followNow(m);
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "following a membership change of room " + m.room() + " failed", e);
                }
            });
        } catch (RejectedExecutionException e) {
            // stopping
        }
    }

    private void followNow(RoomEvent.Membership m) {
        synchronized (lockOf(m.user())) {
            for (Connection other : inboxes.of(m.user())) {
                if (!other.id().equals(m.originConnection())) {
                    synchronized (other.membershipLock()) {
                        follow(other, m);
                    }
                }
            }
        }
    }

    private void follow(Connection other, RoomEvent.Membership m) {
        if (RoomEvent.LEFT.equals(m.state())) {
            if (registry.remove(other, m.room())) {
                other.send(new ServerFrame.Membership(m.room(), ServerFrame.Presence.LEFT, null));
            }
            return;
        }
        ReplayGate gate = registry.attach(other, m.room());
        if (gate == null) {
            return; // in the room already (it joined itself, or opened after the change), or the room is full here
        }
        long seq;
        try {
            seq = store.latestSeq(m.room());
        } catch (StoreUnavailableException e) {
            other.closeGate(m.room(), gate, 0);
            registry.remove(other, m.room()); // the device learns of the room at its next welcome or rooms
            return;
        }
        other.send(new ServerFrame.Membership(m.room(), ServerFrame.Presence.JOINED, seq));
        other.attached(m.room(), seq);
        other.closeGate(m.room(), gate, seq);
        if (!other.isOpen()) {
            registry.remove(other, m.room());
        }
    }

    /** The user's other connections here hear that the read position moved. */
    void readMoved(RoomEvent.ReadMoved r) {
        ServerFrame.RoomState w = wire(r.user(), new RoomState(r.room(), 0, r.read(), r.unread(), r.mentions()));
        ServerFrame frame = new ServerFrame.Read(w.room(), w.with(), r.read(), r.unread(), r.mentions(), null);
        for (Connection c : inboxes.of(r.user())) {
            if (!c.id().equals(r.originConnection())) {
                c.sendToUser(frame);
            }
        }
    }

    /** The wire form of {@code user}'s standing: a direct conversation names the other user ({@code with}). */
    static ServerFrame.RoomState wire(String user, RoomState s) {
        String[] pair = RoomEvent.directUsers(s.room());
        if (pair == null) {
            return new ServerFrame.RoomState(s.room(), null, s.seq(), s.read(), s.unread(), s.mentions());
        }
        String with = pair[0].equals(user) ? pair[1] : pair[0];
        return new ServerFrame.RoomState(null, with, s.seq(), s.read(), s.unread(), s.mentions());
    }

    private static List<ServerFrame.RoomState> wire(String user, List<RoomState> states) {
        List<ServerFrame.RoomState> out = new ArrayList<>(states.size());
        for (RoomState s : states) {
            out.add(wire(user, s));
        }
        return out;
    }

    void close() {
        follower.shutdownNow();
    }
}
