package dev.chat.cluster;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.JarNode;
import dev.chat.testing.PostgresServer;
import dev.chat.testing.ServerApiClient;
import dev.chat.testing.WebhookReceiver;
import dev.chat.testing.WsClient;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Who is online through a database outage longer than the node timeout (15 s), with webhooks: on its
 * own PostgreSQL, stopped for 17 s. Long (-Plong): each test waits out the outage it makes.
 */
@Tag("long")
@Timeout(240)
class WebhookOutageLongIT {
    private static final Duration WAIT = WebhookNodes.WAIT;
    private final WebhookNodes cluster = new WebhookNodes();

    @AfterEach
    void stop() throws Exception {
        cluster.close();
    }

    /**
     * A database outage longer than the node timeout (15 s) silences every node's heartbeat; once it is
     * back, the first node to beat takes the other's users off it. The other, finding its own beat was
     * stale, reports its users again: everyone still connected is online again, on every node's API and
     * in the last event the receiver got for them.
     */
    @Test
    void usersOfANodeSilencedByADatabaseOutageAreReportedAgainWhenItIsBack() throws Exception {
        WebhookReceiver receiver = cluster.receiver();
        try (PostgresServer pg = PostgresServer.start()) {
            Map<String, String> database = new HashMap<>(Map.of("CHAT_DB_URL", pg.jdbcUrl(), "CHAT_DB_USER", pg.user()));
            if (!pg.password().isEmpty()) {
                database.put("CHAT_DB_PASSWORD", pg.password());
            }
            JarNode a = cluster.node(database, "wh-a");
            JarNode b = cluster.node(database, "wh-b");
            ServerApiClient onA = ServerApiClient.of(URI.create(a.base()));
            ServerApiClient onB = ServerApiClient.of(URI.create(b.base()));
            cluster.client(a, a.token("alice")); // in no room: only the database says where she is
            cluster.client(b, b.token("bob"));
            receiver.await(WebhookReceiver.is("user.online", "user", "alice"), WAIT, "alice online");
            receiver.await(WebhookReceiver.is("user.online", "user", "bob"), WAIT, "bob online");

            pg.stop();
            Thread.sleep(17_000); // the fault under test: an outage longer than the 15 s after which a node's users are reaped
            pg.restart();

            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!(WebhookNodes.online(onB, "alice") && WebhookNodes.online(onA, "bob") && cluster.lastState("alice").equals("user.online")
                    && cluster.lastState("bob").equals("user.online"))) {
                assertTrue(System.nanoTime() < deadline, () -> "after the outage: alice on b " + WebhookNodes.online(onB, "alice") + ", bob on a "
                        + WebhookNodes.online(onA, "bob") + ", events " + receiver.taken());
                Thread.sleep(100);
            }
        }
    }

    /**
     * Alone (no other node reaps it), a node whose beat went stale in an outage still reports the user
     * who left during it: offline once the database is back, not online for good.
     */
    @Test
    void aUserWhoLeftDuringALongDatabaseOutageGoesOfflineWhenItIsBack() throws Exception {
        WebhookReceiver receiver = cluster.receiver();
        try (PostgresServer pg = PostgresServer.start()) {
            Map<String, String> database = new HashMap<>(Map.of("CHAT_DB_URL", pg.jdbcUrl(), "CHAT_DB_USER", pg.user()));
            if (!pg.password().isEmpty()) {
                database.put("CHAT_DB_PASSWORD", pg.password());
            }
            JarNode a = cluster.node(database, "wh-alone");
            ServerApiClient onA = ServerApiClient.of(URI.create(a.base()));
            cluster.client(a, a.token("alice"));
            WsClient carol = cluster.client(a, a.token("carol"));
            receiver.await(WebhookReceiver.is("user.online", "user", "carol"), WAIT, "carol online");

            pg.stop();
            carol.close(); // her offline cannot be written now
            Thread.sleep(17_000); // the fault under test: longer than the 15 s after which a beat is stale
            pg.restart();

            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!(cluster.lastState("carol").equals("user.offline") && !WebhookNodes.online(onA, "carol") && WebhookNodes.online(onA, "alice"))) {
                assertTrue(System.nanoTime() < deadline, () -> "after the outage: carol online " + WebhookNodes.online(onA, "carol")
                        + ", alice online " + WebhookNodes.online(onA, "alice") + ", events " + receiver.taken());
                Thread.sleep(100);
            }
        }
    }
}
