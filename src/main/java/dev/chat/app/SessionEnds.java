package dev.chat.app;

import dev.chat.auth.Sessions;
import dev.chat.bus.Bus;
import dev.chat.connection.Connection;
import dev.chat.event.RoomEvent;
import dev.chat.protocol.CloseCode;
import dev.chat.room.RoomRegistry;
import java.lang.System.Logger.Level;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * The node's bus listener in front of the delivery order: takes the {@link RoomEvent.SessionsEnded}
 * that reach this node on a user's channel (from any node, this one included), forgets those
 * sessions in {@link Sessions}'s memory and closes this node's connections of them with 4503 (all of
 * the user's for logout everywhere), on the closer threads. Every other event goes on unchanged.
 */
final class SessionEnds implements Bus.Listener {
    private static final System.Logger LOG = System.getLogger(SessionEnds.class.getName());

    private final Bus.Listener next;
    private final Sessions sessions;
    private final RoomRegistry rooms;
    private final Executor closer;

    SessionEnds(Bus.Listener next, Sessions sessions, RoomRegistry rooms, Executor closer) {
        this.next = next;
        this.sessions = sessions;
        this.rooms = rooms;
        this.closer = closer;
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
                try {
                    closer.execute(() -> c.close(CloseCode.SESSION_REVOKED));
                } catch (RejectedExecutionException e) {
                    c.close(CloseCode.SESSION_REVOKED); // stopping
                }
            }
        }
        LOG.log(Level.DEBUG, "sessions of {0} ended: {1} connections here closed", ended.user(), closed);
    }

    @Override
    public boolean hasLocalMembers(String room) {
        return next.hasLocalMembers(room);
    }

    @Override
    public void resumed() {
        next.resumed();
    }
}
