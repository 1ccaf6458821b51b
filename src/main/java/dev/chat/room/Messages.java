package dev.chat.room;

import dev.chat.auth.UserStore;
import dev.chat.auth.UserStoreUnavailableException;
import dev.chat.bus.Bus;
import dev.chat.connection.Connection;
import dev.chat.event.RoomEvent;
import dev.chat.protocol.ErrorCode;
import dev.chat.protocol.ServerFrame;
import dev.chat.store.HistorySlice;
import dev.chat.store.Memberships;
import dev.chat.store.MessageStore;
import dev.chat.store.StoreUnavailableException;
import dev.chat.store.RoomAccess;
import java.time.Clock;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sends and history: a message is committed by the {@link MessageStore} (group commit, off the
 * connection's thread), then the sender gets its {@code ack} and the bus carries the message to
 * every node, this one included. An ack therefore means committed in the database. A send the
 * store could not commit is answered {@code unavailable}, which means "maybe not stored": a
 * connection lost during COMMIT cannot tell, so the client resends with the same id, and the store
 * answers a resent id with its first seq.
 */
public final class Messages {
    private final RoomRegistry rooms;
    private final MessageStore store;
    private final Bus bus;
    private final Clock clock;
    private final UserStore users;
    private final int maxText;
    private final AcceptedSends committedIds;
    private final RoomRates roomRates;
    private final int roomRate;
    private final RoomAccess access;
    private final Memberships memberships;
    private final int maxNewDirectsPerDay;
    /**
     * Direct conversations this node saw exist: only a conversation's first message asks the store
     * whether it may start. Forgotten wholesale past {@link #MAX_KNOWN_CONVERSATIONS} (then asked again).
     */
    private final Set<String> knownConversations = ConcurrentHashMap.newKeySet();
    static final int MAX_KNOWN_CONVERSATIONS = 100_000;

    /**
     * @param roomRate            messages per second a room takes on this node ({@code CHAT_ROOM_RATE_PER_SEC})
     * @param maxNewDirectsPerDay direct conversations a user may start in a day ({@code CHAT_MAX_NEW_DIRECTS_PER_DAY})
     */
    public Messages(RoomRegistry rooms, MessageStore store, UserStore users, RoomAccess access, Memberships memberships, Bus bus,
                    Clock clock, int maxText, int roomRate, int maxNewDirectsPerDay, AcceptedSends accepted) {
        this.memberships = memberships;
        this.users = users;
        this.committedIds = accepted;
        this.access = access;
        this.roomRate = roomRate;
        this.roomRates = new RoomRates(roomRate);
        this.maxNewDirectsPerDay = maxNewDirectsPerDay;
        this.rooms = rooms;
        this.store = store;
        this.bus = bus;
        this.clock = clock;
        this.maxText = maxText;
    }

    /** A message to a room the connection is in. */
    public void send(Connection c, String name, String text, String id) {
        send(c, name, text, null, id);
    }

    /** A message to a room the connection is in, maybe answering the message {@code replyTo} there. */
    public void send(Connection c, String name, String text, Long replyTo, String id) {
        if (!admitted(c, name, id)) {
            return;
        }
        if (replyTo != null && !replyable(c, name, replyTo, id)) {
            return;
        }
        rooms.sent(name, c.user());
        post(c, name, null, text, replyTo == null ? null : RoomEvent.Detail.reply(replyTo), id);
    }

    /** A direct conversation seen to exist: its next message asks the store nothing about starting it. */
    private void remember(String room) {
        if (knownConversations.size() >= MAX_KNOWN_CONVERSATIONS) {
            knownConversations.clear();
        }
        knownConversations.add(room);
    }

    /** Whether a new event of the room may be posted: the connection is in it, and the room is under its rate. */
    boolean admitted(Connection c, String name, String id) {
        if (!c.rooms().contains(name)) {
            c.send(new ServerFrame.Error(ErrorCode.NOT_JOINED, "join room " + name + " before sending to it", id));
            return false;
        }
        if (!roomRates.admit(name, System.nanoTime())) {
            c.send(new ServerFrame.Error(ErrorCode.RATE_LIMITED, "room " + name + " takes at most " + roomRate
                    + " messages per second; the message was dropped", id));
            return false;
        }
        return true;
    }

    /** A reply must answer a message that is there: not a change event, not deleted, not beyond the room's end. */
    private boolean replyable(Connection c, String stored, long replyTo, String id) {
        MessageStore.Target target;
        try {
            target = store.target(stored, replyTo);
        } catch (StoreUnavailableException e) {
            c.send(new ServerFrame.Error(ErrorCode.UNAVAILABLE, "the database is unreachable: the message was not stored; resend it shortly", id));
            return false;
        }
        if (target == null || target.deleted()) {
            c.send(new ServerFrame.Error(ErrorCode.NOT_FOUND, "there is no message " + replyTo + " to reply to", id));
            return false;
        }
        return true;
    }

    /** A direct message: sequenced and stored per pair of users, then to both users' connections everywhere. */
    public void direct(Connection c, String to, String text, String id) {
        direct(c, to, text, null, id);
    }

    /** A direct message, maybe answering the message {@code replyTo} of the conversation. */
    public void direct(Connection c, String to, String text, Long replyTo, String id) {
        try {
            if (!users.known(to)) {
                // a conversation with a name nobody has would be stored for ever: refused, as a flood's vehicle
                c.send(new ServerFrame.Error(ErrorCode.NO_SUCH_USER, "there is no user " + to, id));
                return;
            }
        } catch (UserStoreUnavailableException e) {
            c.send(new ServerFrame.Error(ErrorCode.UNAVAILABLE, "the database is unreachable: the message was not stored; resend it shortly", id));
            return;
        }
        String room = RoomEvent.directRoom(c.user(), to);
        if (!knownConversations.contains(room)) {
            try {
                if (!access.startDirect(room, c.user(), maxNewDirectsPerDay)) {
                    c.send(new ServerFrame.Error(ErrorCode.QUOTA_EXCEEDED, "you started " + maxNewDirectsPerDay
                            + " direct conversations in the last day already", id));
                    return;
                }
                // both users belong to it: it is in their rooms on every device (a conversation from
                // before memberships gets them with its first message here after the upgrade)
                memberships.addDirect(room, c.user(), to);
            } catch (StoreUnavailableException e) {
                c.send(new ServerFrame.Error(ErrorCode.UNAVAILABLE, "the database is unreachable: the message was not stored; resend it shortly", id));
                return;
            }
            remember(room);
        }
        if (replyTo != null && !replyable(c, room, replyTo, id)) {
            return;
        }
        post(c, room, to, text, replyTo == null ? null : RoomEvent.Detail.reply(replyTo), id);
    }

    /**
     * Commits a new event of the conversation {@code room} ({@code to}: the other user of a direct
     * one) and answers its {@code ack}; {@code detail} null for a plain message.
     */
    void post(Connection c, String room, String to, String text, RoomEvent.Detail detail, String id) {
        if (text.codePointCount(0, text.length()) > maxText) {
            c.send(new ServerFrame.Error(ErrorCode.TOO_LARGE, "text is longer than " + maxText + " characters", id));
            return;
        }
        try {
            // messages and their edits, deletes and reactions alike: nothing new reaches a banned user
            if (to != null && users.banned(to)) {
                c.send(new ServerFrame.Error(ErrorCode.FORBIDDEN, to + " is banned and cannot be messaged", id));
                return;
            }
        } catch (UserStoreUnavailableException e) {
            c.send(new ServerFrame.Error(ErrorCode.UNAVAILABLE, "the database is unreachable: the message was not stored; resend it shortly", id));
            return;
        }
        long acceptedAt = System.nanoTime();
        RoomEvent.Posted message = new RoomEvent.Posted(room, c.user(), text, id, c.id(), c.traceId(), 0, clock.millis(), acceptedAt,
                detail);
        store.append(message).whenComplete((appended, failure) -> {
            if (failure != null) {
                c.send(new ServerFrame.Error(ErrorCode.UNAVAILABLE,
                        "the database is unreachable: the message may not be stored; resend it with the same id shortly", id));
                return;
            }
            long seq = appended.message().seq();
            RoomEvent.Detail committed = appended.message().details();
            Boolean on = committed != null && RoomEvent.Detail.REACT.equals(committed.kind()) ? committed.on() : null;
            c.send(new ServerFrame.Ack(to == null ? room : null, to, id, seq, on));
            if (!appended.duplicate()) {
                // only a first commit: a resend answered from the store must not earn another free one
                committedIds.committed(c.user(), room, id, System.nanoTime());
                bus.publish(appended.message());
            }
        });
    }

    /**
     * A backend's message (the server API): committed like a send, then to every member on every
     * node. {@code key} dedupes like a client's id: the same (sender, key) within the window answers
     * the first seq. Whoever calls has checked that the sender and the room may be used; a direct
     * conversation a backend starts is not refused by a quota (it is recorded as started by
     * {@code from}, so a user's own count includes the ones started in their name).
     *
     * @param stored the room, or the direct conversation's room with {@code to}
     * @throws Refusal when the text is too long or {@code replyTo} names no message there
     * @throws StoreUnavailableException when the database cannot be asked
     */
    public java.util.concurrent.CompletableFuture<MessageStore.Appended> publish(String stored, String to, String from, String text,
                                                                                 Long replyTo, String key, String origin) {
        if (text.codePointCount(0, text.length()) > maxText) {
            throw new Refusal(ErrorCode.TOO_LARGE, "text is longer than " + maxText + " characters");
        }
        if (to != null && !knownConversations.contains(stored)) {
            access.startDirect(stored, from, Integer.MAX_VALUE);
            memberships.addDirect(stored, from, to);
            remember(stored);
        }
        if (replyTo != null) {
            MessageStore.Target target = store.target(stored, replyTo);
            if (target == null || target.deleted()) {
                throw new Refusal(ErrorCode.NOT_FOUND, "there is no message " + replyTo + " to reply to");
            }
        }
        RoomEvent.Posted message = new RoomEvent.Posted(stored, from, text, key, origin, null, 0, clock.millis(), System.nanoTime(),
                replyTo == null ? null : RoomEvent.Detail.reply(replyTo));
        return store.append(message).thenApply(appended -> {
            if (!appended.duplicate()) {
                bus.publish(appended.message());
            }
            return appended;
        });
    }

    /** Why a request of the server API was refused, as the protocol's error code says it. */
    public static final class Refusal extends RuntimeException {
        private final ErrorCode code;

        public Refusal(ErrorCode code, String message) {
            super(message, null, false, false);
            this.code = code;
        }

        public ErrorCode code() {
            return code;
        }
    }

    /** A page of earlier messages of a room the connection is in. */
    public void history(Connection c, String name, Long before, int limit, String id) {
        if (!c.rooms().contains(name)) {
            c.send(new ServerFrame.Error(ErrorCode.NOT_JOINED, "join room " + name + " to read its history", id));
            return;
        }
        page(c, name, name, null, before, limit, id);
    }

    /** A page of earlier direct messages with {@code with}. */
    public void directHistory(Connection c, String with, Long before, int limit, String id) {
        page(c, RoomEvent.directRoom(c.user(), with), null, with, before, limit, id);
    }

    /** Reads a page of {@code stored} and answers it as a room's ({@code room}) or a direct conversation's ({@code with}). */
    private void page(Connection c, String stored, String room, String with, Long before, int limit, String id) {
        try {
            HistorySlice slice = store.before(stored, before == null ? Long.MAX_VALUE : before, limit);
            c.send(new ServerFrame.History(room, with, slice.messages().stream().map(p -> WireMessages.of(p, false)).toList(), id));
        } catch (StoreUnavailableException e) {
            c.send(new ServerFrame.Error(ErrorCode.UNAVAILABLE, "the history is unreachable; try again shortly", id));
        }
    }
}
