package dev.chat.app;

import dev.chat.log.LogText;
import dev.chat.auth.Sessions;
import dev.chat.bus.Bus;
import dev.chat.connection.Connection;
import dev.chat.event.RoomEvent;
import dev.chat.protocol.CloseCode;
import dev.chat.room.RoomRegistry;
import java.lang.System.Logger.Level;
import java.util.Collection;
import java.util.function.Supplier;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * The node's bus listener in front of the delivery order: takes the {@link RoomEvent.SessionsEnded}
 * that reach this node on a user's channel (from any node, this one included), forgets those
 * sessions in {@link Sessions}'s memory and closes this node's connections of them with 4503 (all of
 * the user's for logout everywhere), on the closer threads; after a bus outage it checks the
 * session of every open connection. Every other event goes on unchanged.
 */
final class SessionEnds implements Bus.Listener {
    private static final System.Logger LOG = System.getLogger(SessionEnds.class.getName());

    private final Bus.Listener next;
    private final Sessions sessions;
    private final RoomRegistry rooms;
    private final Executor closer;
    private final Supplier<Collection<Connection>> all;
    /** Whether a backend banned the user; false while the database cannot say. */
    private final java.util.function.Predicate<String> banned;

    /**
     * @param all    this node's open connections, checked again after a bus outage (ends may have been missed)
     * @param banned the store's ban check ({@code UserStore#bannedIfReadable})
     */
    SessionEnds(Bus.Listener next, Sessions sessions, RoomRegistry rooms, Executor closer, Supplier<Collection<Connection>> all,
                java.util.function.Predicate<String> banned) {
        this.banned = banned;
        this.next = next;
        this.sessions = sessions;
        this.rooms = rooms;
        this.closer = closer;
        this.all = all;
    }

    @Override
    public void onEvent(RoomEvent event) {
        RoomEvent inner = event instanceof RoomEvent.Addressed a ? a.event() : event;
        if (!(inner instanceof RoomEvent.SessionsEnded ended)) {
            next.onEvent(event);
            return;
        }
        sessions.forget(ended.sessions());
        int closed = 0;
        for (Connection c : rooms.connectionsOf(ended.user())) {
            if (ended.all() || (c.principal().session() != null && ended.sessions().contains(c.principal().session()))) {
                closed++;
                close(c, code(ended.code()));
            }
        }
        LOG.log(Level.DEBUG, "sessions of {0} ended: {1} connections here closed", LogText.name(ended.user()), closed);
    }

    @Override
    public boolean hasLocalMembers(String room) {
        return next.hasLocalMembers(room);
    }

    /**
     * The bus is back: session ends published meanwhile never arrived, so every open connection's
     * session is checked again (one query per session at most; off the subscriber thread).
     */
    @Override
    public void resumed() {
        next.resumed();
        try {
            closer.execute(() -> {
                java.util.Map<String, Boolean> active = new java.util.HashMap<>();
                java.util.Map<String, Boolean> bannedUsers = new java.util.HashMap<>();
                for (Connection c : all.get()) {
                    String session = c.principal().session();
                    if (session != null && !active.computeIfAbsent(session, s -> {
                        sessions.forget(java.util.List.of(s)); // what was believed before the outage no longer counts
                        return sessions.active(s);
                    }) || bannedUsers.computeIfAbsent(c.user(), banned::test)) {
                        close(c); // a ban made meanwhile reached only its own node
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            // stopping: nothing to close for
        }
    }

    private void close(Connection c) {
        close(c, CloseCode.SESSION_REVOKED);
    }

    /**
     * A connection was just admitted: its handshake read no ban, but a ban stored since then was
     * published before the connection could be reached (its welcome goes out first, and a node
     * subscribes to the user's channel as the user's first connection opens). Asked once more, off
     * the handshake's thread; one primary-key lookup per connection.
     */
    void admitted(Connection c) {
        try {
            closer.execute(() -> {
                if (banned.test(c.user())) {
                    c.close(CloseCode.SESSION_REVOKED);
                }
            });
        } catch (RejectedExecutionException e) {
            // stopping
        }
    }

    private void close(Connection c, CloseCode code) {
        try {
            closer.execute(() -> c.close(code));
        } catch (RejectedExecutionException e) {
            c.close(code); // stopping
        }
    }

    /** The close code a node asked for (a backend's disconnect), if it is one of the table's; else 4503. */
    private static CloseCode code(Integer asked) {
        CloseCode c = asked == null ? null : CloseCode.of(asked);
        return c == null ? CloseCode.SESSION_REVOKED : c;
    }
}
