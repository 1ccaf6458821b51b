package dev.chat.room;

/**
 * Who may join which room. Rooms are public unless created private; a private room admits its
 * owner and the users the owner invited. In memory on one node ({@link MemoryRoomAccess}), in
 * Redis in a cluster ({@code RedisRoomAccess}).
 */
public interface RoomAccess {

    /** Records the room with its owner; false when it has an owner already. */
    boolean create(String room, String owner, boolean isPrivate);

    /** Whether {@code user} may join: any public room, or a private one they own or were invited to. */
    boolean mayJoin(String room, String user);

    /** Lets {@code user} into a private room; false when {@code by} is not the owner. */
    boolean invite(String room, String by, String user);

    /** Takes an invitation back (a kicked user does not walk back in). */
    void revoke(String room, String user);
}
