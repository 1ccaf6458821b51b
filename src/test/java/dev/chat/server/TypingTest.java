package dev.chat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.chat.testing.SeededUsers;
import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** "alice is typing" reaches the others in the room, not alice's own tabs, and at most once per 3 s. */
@Timeout(30)
class TypingTest {
    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of(), SeededUsers.create("t-alice", "t-bob").dataDir());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void typingReachesTheOthersOnceWithinThePeriod() throws Exception {
        try (WsClient alice = server.client(SeededUsers.token("t-alice"));
             WsClient alice2 = server.client(SeededUsers.token("t-alice"));
             WsClient bob = server.client(SeededUsers.token("t-bob"))) {
            alice.join("typing");
            alice2.expectMembership("typing", "joined"); // her other tab is in the room with her
            alice2.join("typing");
            bob.join("typing");
            alice.expect("presence");
            alice2.expect("presence");
            alice.send(Map.of("type", "typing", "room", "typing"));
            assertEquals(Map.of("type", "typing", "room", "typing", "user", "t-alice"), bob.next());
            alice.send(Map.of("type", "typing", "room", "typing"));
            alice2.send(Map.of("type", "typing", "room", "typing")); // the same user: throttled too
            bob.assertNothingPending("typing");
            alice2.assertNothingPending("typing"); // never to the typist's own connections
            alice.assertNothingPending("typing");
            bob.send(Map.of("type", "typing", "room", "typing"));
            assertEquals(Map.of("type", "typing", "room", "typing", "user", "t-bob"), alice.next());
        }
    }

    @Test
    void typingRightAfterASendShowsAgain() throws Exception {
        try (WsClient alice = server.client(SeededUsers.token("t-alice"));
             WsClient bob = server.client(SeededUsers.token("t-bob"))) {
            alice.join("typing-again");
            bob.join("typing-again");
            alice.expect("presence");
            alice.send(Map.of("type", "typing", "room", "typing-again"));
            assertEquals(Map.of("type", "typing", "room", "typing-again", "user", "t-alice"), bob.next());
            alice.say("typing-again", "first");
            assertEquals("first", bob.expect("message").get("text"));
            // within the 3 s of the first typing, but after a send: the next message is news again
            alice.send(Map.of("type", "typing", "room", "typing-again"));
            assertEquals(Map.of("type", "typing", "room", "typing-again", "user", "t-alice"), bob.next());
            alice.send(Map.of("type", "typing", "room", "typing-again"));
            bob.assertNothingPending("typing-again"); // and throttled again until the next send
        }
    }

    @Test
    void typingInARoomNotJoinedIsNotJoined() throws Exception {
        try (WsClient alice = server.client(SeededUsers.token("t-alice"))) {
            alice.send(Map.of("type", "typing", "room", "elsewhere", "id", "t1"));
            Map<String, Object> error = alice.expect("error");
            assertEquals("not_joined", error.get("code"));
            assertEquals("t1", error.get("id"));
        }
    }
}
