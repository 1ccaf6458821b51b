package dev.chat.store;

/**
 * Who may join which room. Rooms are public unless created private; a private room admits its
 * owner and the users the owner invited. Kept in the store of record ({@link JdbcRoomAccess});
 * every method may throw {@link StoreUnavailableException}.
 */
public interface RoomAccess {
    /**
     * The owner of the rooms the server holds open ({@code CHAT_PUBLIC_ROOMS}): not a user name (those
     * cannot contain {@code @}), so nobody can create, claim or invite into them.
     */
    String SERVER = "@server";

    /**
     * Makes {@code room} public and owned by {@link #SERVER} unless someone owns it already; true when
     * it is public now. A room a user created private earlier stays private: opening it would show
     * its messages to everyone.
     */
    boolean holdPublic(String room);

    /** Records the room with its owner; false when it has an owner already. */
    boolean create(String room, String owner, boolean isPrivate);

    /** Whether {@code user} may join: any public room, or a private one they own or were invited to. */
    boolean mayJoin(String room, String user);

    /** Lets {@code user} into a private room; false when {@code by} is not the owner. */
    boolean invite(String room, String by, String user);

    /**
     * Whether {@code user} may write in the direct conversation {@code room}: it exists already, or
     * the user started fewer than {@code maxPerDay} conversations in the last 24 hours, and then it
     * is recorded now as started by them. Counted in the store, so across nodes and restarts; starts
     * racing each other on several nodes can pass the limit by one each.
     */
    boolean startDirect(String room, String user, int maxPerDay);

    /** Rooms {@code user} created (and owns); direct conversations they started are not rooms. */
    int roomsOwnedBy(String user);

    /** Invitations {@code user} gave that still stand. */
    int invitationsBy(String user);

    /** The room's owner: its creator, {@link #SERVER} for a room held public, or null (none, or no such room). */
    String ownerOf(String room);

    /** Takes an invitation back (a kicked user does not walk back in). */
    void revoke(String room, String user);

    /** A room's row: its owner (null for none), whether it is private, its last seq. */
    record RoomInfo(String owner, boolean isPrivate, long lastSeq) { }

    /** The room's row, or null when the store has none (a room nobody created, held or wrote in). */
    RoomInfo info(String room);
}
