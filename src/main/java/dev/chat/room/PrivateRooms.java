package dev.chat.room;

import dev.chat.auth.Principal;
import dev.chat.auth.UserStore;
import dev.chat.auth.UserStoreUnavailableException;
import dev.chat.bus.Bus;
import dev.chat.connection.Connection;
import dev.chat.event.RoomEvent;
import dev.chat.presence.Presence;
import dev.chat.protocol.ErrorCode;
import dev.chat.protocol.ServerFrame;
import dev.chat.store.Memberships;
import dev.chat.store.MessageStore;
import dev.chat.store.RoomAccess;
import dev.chat.store.StoreUnavailableException;

/** Creating rooms (private or not), invitations and kicks; ownership and invitations live in the store. */
public final class PrivateRooms {
    private final RoomRegistry rooms;
    private final RoomAccess access;
    private final Memberships memberships;
    private final MessageStore store;
    private final Presence presence;
    private final Bus bus;
    private final UserStore users;
    /** Per user, so that rooms and invitations (kept for good in the store) are bounded by accounts, not by time. */
    private final int maxOwnedRooms;
    private final int maxInvitations;

    public PrivateRooms(RoomRegistry rooms, RoomAccess access, Memberships memberships, MessageStore store, UserStore users,
                        Presence presence, Bus bus, int maxOwnedRooms, int maxInvitations) {
        this.memberships = memberships;
        this.users = users;
        this.maxOwnedRooms = maxOwnedRooms;
        this.maxInvitations = maxInvitations;
        this.rooms = rooms;
        this.access = access;
        this.store = store;
        this.presence = presence;
        this.bus = bus;
    }

    /** Creates a room owned by the sender, private or not; the creator then joins it. */
    public void create(Connection c, String name, boolean isPrivate, String id) {
        try {
            boolean taken = rooms.hasRoom(name) || !presence.members(name).isEmpty() || store.latestSeq(name) > 0;
            if (!taken && access.roomsOwnedBy(c.user()) >= maxOwnedRooms) {
                c.send(new ServerFrame.Error(ErrorCode.QUOTA_EXCEEDED, "you own " + maxOwnedRooms + " rooms already", id));
                return;
            }
            if (taken || !access.create(name, c.user(), isPrivate)) {
                c.send(new ServerFrame.Error(ErrorCode.ROOM_EXISTS, "room " + name + " exists already", id));
                return;
            }
        } catch (StoreUnavailableException e) {
            c.send(new ServerFrame.Error(ErrorCode.UNAVAILABLE, "rooms cannot be created while the database is unreachable", id));
            return;
        }
        c.send(new ServerFrame.Created(name, isPrivate, id));
        rooms.join(c, name, null, id);
    }

    /** The owner lets a user into a private room; the user's connections everywhere hear of it. */
    public void invite(Connection c, String name, String user, String id) {
        try {
            if (!users.known(user)) {
                c.send(new ServerFrame.Error(ErrorCode.NO_SUCH_USER, "there is no user " + user, id));
                return;
            }
            if (access.invitationsBy(c.user()) >= maxInvitations) {
                c.send(new ServerFrame.Error(ErrorCode.QUOTA_EXCEEDED, "you have given " + maxInvitations + " invitations already", id));
                return;
            }
            if (!access.invite(name, c.user(), user)) {
                c.send(new ServerFrame.Error(ErrorCode.FORBIDDEN, "only the owner of room " + name + " may invite", id));
                return;
            }
        } catch (StoreUnavailableException | UserStoreUnavailableException e) {
            c.send(new ServerFrame.Error(ErrorCode.UNAVAILABLE, "invitations wait for the database", id));
            return;
        }
        bus.toUser(user, new RoomEvent.Invitation(name, user, c.user()));
        c.send(new ServerFrame.Invited(name, user, id));
    }

    /** An admin removes every connection of a user from a room, on every node; the membership and an invitation are taken back. */
    public void kick(Connection c, String name, String user, String id) {
        if (!Principal.ROLE_ADMIN.equals(c.principal().role())) {
            c.send(new ServerFrame.Error(ErrorCode.FORBIDDEN, "only an admin may kick", id));
            return;
        }
        try {
            access.revoke(name, user);
            memberships.remove(user, name);
        } catch (StoreUnavailableException e) {
            c.send(new ServerFrame.Error(ErrorCode.UNAVAILABLE, "kicks wait for the database", id));
            return;
        }
        bus.toUser(user, new RoomEvent.Kicked(name, user, c.user()));
        c.send(new ServerFrame.Kicked(name, user, id));
    }
}
