package dev.chat.event;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.Names;
import org.junit.jupiter.api.Test;

/** The internal name of a direct conversation: one per pair of users, and back to the pair. */
class DirectRoomTest {
    @Test
    void namesOfTheOldSyntaxKeepTheRoomTheyWereStoredUnder() {
        assertEquals("@alice+bob", RoomEvent.directRoom("alice", "bob"));
        assertEquals("@alice+bob", RoomEvent.directRoom("bob", "alice"));
        assertEquals("@a.b-c+x_y", RoomEvent.directRoom("x_y", "a.b-c"));
    }

    @Test
    void pairsThatSharedANameUnderThePlainJoinGetTwoRooms() {
        // "@a+b+c" for both under the old naming
        assertNotEquals(RoomEvent.directRoom("a+b", "c"), RoomEvent.directRoom("a", "b+c"));
        assertNotEquals(RoomEvent.directRoom("a%2Bb", "c"), RoomEvent.directRoom("a+b", "c"));
        assertNotEquals(RoomEvent.directRoom("x@y+z", "q"), RoomEvent.directRoom("x@y", "z+q"));
    }

    @Test
    void everyRoomGivesBackItsPair() {
        String[][] pairs = {{"a+b", "c"}, {"a", "b+c"}, {"a%2Bb", "%"}, {"%25", "+"}, {Names.EMAIL, "bob"},
                {Names.UNICODE_64, Names.EMAIL}, {"same", "same"}};
        for (String[] p : pairs) {
            String room = RoomEvent.directRoom(p[0], p[1]);
            String[] back = RoomEvent.directUsers(room);
            String[] sorted = p[0].compareTo(p[1]) <= 0 ? p : new String[] {p[1], p[0]};
            assertArrayEquals(sorted, back, room);
            assertTrue(room.startsWith("@") && room.indexOf('+') == room.lastIndexOf('+'), "one separator: " + room);
        }
    }

    @Test
    void theLongestRoomFitsItsColumn() {
        String plus = "+".repeat(64); // each escaped to three characters
        String room = RoomEvent.directRoom(plus, plus.substring(1) + "%");
        assertTrue(room.codePointCount(0, room.length()) <= 400, "VARCHAR(400) of V4: " + room.length());
    }

    @Test
    void clientRoomsAndTheServerOwnerAreNoDirectRooms() {
        assertNull(RoomEvent.directUsers("general"));
        assertNull(RoomEvent.directUsers("@server"));
    }
}
