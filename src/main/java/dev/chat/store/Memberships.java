package dev.chat.store;

import java.util.List;

/**
 * The rooms each user belongs to, kept until the user leaves (or is kicked), and the user's read
 * position in each, including direct conversations ({@code @a+b}, a member each). Kept in the
 * store of record ({@link JdbcMemberships}); every method may throw {@link StoreUnavailableException}.
 */
public interface Memberships {
    /** {@code unread} and {@code mentions} count up to this many: a count of this size means "at least". */
    int COUNT_CAP = 1000;

    /** What {@link #add} did. */
    enum Added { ADDED, ALREADY, LIMIT }

    /**
     * Makes {@code user} a member of {@code room}, read up to its latest seq (what came before the
     * join is not news), unless the user is in {@code maxRooms} rooms already (direct conversations
     * aside).
     */
    Added add(String user, String room, int maxRooms);

    /** Makes both users members of their direct conversation {@code room}; nothing when they are. */
    void addDirect(String room, String a, String b);

    /** Ends the membership; false when there was none. */
    boolean remove(String user, String room);

    /** The client rooms {@code user} is a member of, direct conversations aside, in name order. */
    List<String> roomsOf(String user);

    /** Where {@code user} stands in every conversation they belong to, direct ones included, in name order. */
    List<RoomState> statesOf(String user);

    /**
     * Moves the read position forward to {@code seq} (never back, never past the latest seq) and
     * answers where the user stands now; null when the user is not a member.
     */
    RoomState markRead(String user, String room, long seq);

    /** The room's members, by name; a direct conversation's two users. */
    List<String> membersOf(String room);
}
