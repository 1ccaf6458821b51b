package dev.chat.connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.auth.Principal;
import dev.chat.metrics.ChatMetrics;
import dev.chat.protocol.ServerFrame;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Admission, with a hand-driven sink and a stand-in for the room registry. */
class ConnectionsTest {
    private static final Connection.Limits LIMITS = new Connection.Limits(1000, 1 << 20, 20, 40, Duration.ofSeconds(10),
            new OutboxBudget(Long.MAX_VALUE));

    /**
     * The registry learns of a connection in {@code opened}, and from then on delivers what is
     * addressed to its user (direct messages, invitations, kicks) from any thread. A delivery at that
     * very moment (seen under a flood: a direct message from the user's other tab) must still come
     * after the welcome, the protocol's first frame.
     */
    @Test
    void theWelcomeIsQueuedBeforeAnythingAddressedToTheUserCanReachTheConnection() {
        OutboxTest.ManualSink sink = new OutboxTest.ManualSink();
        Connection.ConnectionListener registry = new Connection.ConnectionListener() {
            @Override
            public void opened(Connection c) {
                c.send(new ServerFrame.Invitation("team", "bob")); // fanned out the instant the user is known here
            }

            @Override
            public void closed(Connection c, int code) {
            }
        };
        Connections connections = new Connections("n", LIMITS, 10, 10, 10, Duration.ofMinutes(1).toNanos(), Duration.ofSeconds(30),
                Clock.systemUTC(), registry, Runnable::run, Runnable::run, new ChatMetrics());

        Connections.Admission admitted = connections.admit(new Principal("alice", Principal.ROLE_USER, Instant.now().plusSeconds(3600)), "127.0.0.1", "trace", sink, new ServerFrame.Welcome("alice", 1, "epoch"));

        assertTrue(admitted instanceof Connections.Admission.Admitted, admitted::toString);
        while (!sink.pending.isEmpty()) {
            sink.complete(); // each completion starts the next send
        }
        List<String> lines = sink.sent.stream().flatMap(text -> text.lines()).toList();
        assertEquals(2, lines.size(), lines::toString);
        assertTrue(lines.get(0).contains("\"type\":\"welcome\""), () -> "first frame: " + lines);
        assertTrue(lines.get(1).contains("\"type\":\"invitation\""), () -> "then: " + lines);
    }
}
