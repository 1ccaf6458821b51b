package dev.chat.room;

import dev.chat.auth.Principal;
import dev.chat.connection.Connection;
import dev.chat.event.RoomEvent;
import dev.chat.protocol.ClientFrame;
import dev.chat.protocol.ErrorCode;
import dev.chat.protocol.ServerFrame;
import dev.chat.store.MessageStore;
import dev.chat.store.RoomAccess;
import dev.chat.store.StoreUnavailableException;

/**
 * Edits, deletes and reactions: each is checked against the message it targets (it must be a
 * message of the conversation, not deleted; an edit must be the user's own, a delete the user's own
 * or, in a room, its owner's or an admin's), then posted as a new event of the conversation with
 * its own seq, so it is committed, acked, delivered, replayed and paged like a message. The store
 * applies it to the message in the same commit.
 */
public final class MessageChanges {
    private final Messages messages;
    private final MessageStore store;
    private final RoomAccess access;

    public MessageChanges(Messages messages, MessageStore store, RoomAccess access) {
        this.messages = messages;
        this.store = store;
        this.access = access;
    }

    public void change(Connection c, ClientFrame.Change f) {
        String stored = f.room() != null ? f.room() : RoomEvent.directRoom(c.user(), f.with());
        if (f.room() != null && !messages.admitted(c, f.room(), f.id())) {
            return;
        }
        MessageStore.Target target;
        String owner = null;
        try {
            target = store.target(stored, f.target());
            if (target != null && f.room() != null && f.kind().equals("delete") && !target.sender().equals(c.user())) {
                owner = access.ownerOf(f.room());
            }
        } catch (StoreUnavailableException e) {
            c.send(new ServerFrame.Error(ErrorCode.UNAVAILABLE, "the database is unreachable: nothing was changed; send it again shortly", f.id()));
            return;
        }
        if (target == null || target.deleted()) {
            c.send(new ServerFrame.Error(ErrorCode.NOT_FOUND, "there is no message " + f.target() + " in "
                    + (f.room() != null ? "room " + f.room() : "the conversation with " + f.with()), f.id()));
            return;
        }
        boolean own = target.sender().equals(c.user());
        RoomEvent.Detail detail;
        String text = "";
        switch (f.kind()) {
            case "edit" -> {
                if (!own) {
                    c.send(new ServerFrame.Error(ErrorCode.FORBIDDEN, "only its sender may edit a message", f.id()));
                    return;
                }
                detail = RoomEvent.Detail.edit(f.target());
                text = f.text();
            }
            case "delete" -> {
                boolean admin = Principal.ROLE_ADMIN.equals(c.principal().role());
                if (!own && !(f.room() != null && (admin || c.user().equals(owner)))) {
                    c.send(new ServerFrame.Error(ErrorCode.FORBIDDEN, f.room() != null
                            ? "only its sender, the room's owner or an admin may delete a message"
                            : "only its sender may delete a direct message", f.id()));
                    return;
                }
                detail = RoomEvent.Detail.delete(f.target());
            }
            default -> detail = RoomEvent.Detail.react(f.target(), f.emoji());
        }
        messages.post(c, stored, f.with(), text, detail, f.id());
    }
}
