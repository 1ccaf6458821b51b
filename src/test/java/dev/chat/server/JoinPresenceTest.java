package dev.chat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.SeededUsers;
import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A joiner's {@code joined} lists the members already there, so it must never get a presence
 * "joined" for one of them afterwards; members joining one after another get exactly one presence
 * per later joiner. (Regression test: RoomRegistry.join once published presence after releasing
 * the room lock, so a concurrent joiner could hear of a member its joined listed, even before its joined.)
 */
@Timeout(60)
class JoinPresenceTest {
    private static final int MEMBERS = 30;
    private static final String ROOM = "arrivals";
    private static TestServer server;
    private static java.nio.file.Path dataDir;

    @BeforeAll
    static void start() {
        SeededUsers users = SeededUsers.create();
        for (int i = 0; i < MEMBERS; i++) {
            users.add("jp-" + i);
        }
        dataDir = users.dataDir();
        server = TestServer.start(Map.of(), dataDir);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** The race shows most on a fresh node: the second joiner hears the first one "join" after its own joined. */
    @Test
    void theSecondJoinerOnAFreshNodeHearsNothingOfTheFirst() throws Exception {
        server.close();
        try {
            for (int round = 0; round < 5; round++) {
                try (TestServer fresh = TestServer.start(Map.of(), dataDir);
                     WsClient first = fresh.client(SeededUsers.token("jp-0"));
                     WsClient second = fresh.client(SeededUsers.token("jp-1"))) {
                    first.join("fresh");
                    assertEquals(List.of("jp-0", "jp-1"), second.join("fresh").get("members"));
                    assertEquals(Map.of("type", "presence", "room", "fresh", "user", "jp-1", "state", "joined"), first.next());
                    second.assertNothingPending("fresh");
                    fresh.forgetMemberships(); // the next round's node is fresh: nobody is in the room yet
                }
            }
        } finally {
            server = TestServer.start(Map.of(), dataDir);
        }
    }

    /**
     * All join at once: each one's joined lists some members, and it must then hear of exactly the
     * others, once each, and never of one its joined listed.
     */
    @Test
    void concurrentJoinersHearOfEachOtherExactlyOnce() throws Exception {
        List<WsClient> members = new ArrayList<>();
        try {
            for (int i = 0; i < MEMBERS; i++) {
                members.add(server.client(SeededUsers.token("jp-" + i)));
            }
            for (WsClient m : members) {
                m.send(Map.of("type", "join", "room", ROOM, "id", "j"));
            }
            for (int i = 0; i < MEMBERS; i++) {
                WsClient m = members.get(i);
                List<?> listed = (List<?>) m.expect("joined").get("members");
                List<Object> heard = new ArrayList<>();
                while (listed.size() + heard.size() < MEMBERS) {
                    Map<String, Object> frame = m.expect("presence");
                    assertEquals("joined", frame.get("state"));
                    heard.add(frame.get("user"));
                }
                final int member = i;
                assertTrue(heard.stream().noneMatch(listed::contains),
                        () -> "jp-" + member + " was told of members its joined listed: listed " + listed + ", heard " + heard);
                assertEquals(MEMBERS, new java.util.HashSet<Object>(concat(listed, heard)).size(),
                        () -> "jp-" + member + ": listed " + listed + ", heard " + heard);
                m.assertNothingPending(ROOM);
            }
        } finally {
            members.forEach(WsClient::close);
        }
    }

    private static List<Object> concat(List<?> a, List<?> b) {
        List<Object> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
