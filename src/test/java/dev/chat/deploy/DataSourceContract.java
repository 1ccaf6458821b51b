package dev.chat.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.chat.testing.Databases;
import dev.chat.testing.PostgresServer;
import dev.chat.testing.RemoteServer;
import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The unchanged WAR with {@code CHAT_DB_JNDI} naming a container DataSource on a real PostgreSQL:
 * what users say lands in that database, and a new server on the same DataSource carries the
 * conversation on (same epoch, history replayed, seqs going on).
 */
@Timeout(600)
abstract class DataSourceContract {

    /** A server of this kind with a PostgreSQL DataSource at {@code jndiName} and these settings. */
    abstract DeployedServer newServer(Map<String, String> settings, String jndiName, String jdbcUrl, String user,
                                      PostgresServer pg, String database);

    /** The JNDI name the container binds the DataSource at. */
    abstract String jndiName();

    static Path driverJar() throws Exception {
        return Path.of(org.postgresql.Driver.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    /**
     * The container's own readiness follows the chat's: DOWN once the node finds its database away
     * (a send answered {@code unavailable}), UP again once the database is back. A database of
     * this test's own, so stopping it disturbs no other test.
     */
    @Test
    void theContainersReadinessIsDownWhileTheDatabaseIsAwayAndUpOnceItIsBack() throws Exception {
        try (PostgresServer pg = PostgresServer.start()) {
            String url = pg.jdbcUrl();
            String database = url.substring(url.lastIndexOf('/') + 1);
            Map<String, String> settings = Map.of("chat.db.jndi", jndiName());
            try (DeployedServer deployed = newServer(settings, jndiName(), url, pg.user(), pg, database).start()) {
                RemoteServer server = deployed.remote();
                String token = server.token("ready-alice");
                assertEquals("UP", deployed.chatCheck("health/ready").getValue().get("status"));
                try (WsClient alice = WsClient.connect(server.ws(token), Map.of("Origin", server.origin()))) {
                    alice.expect("welcome");
                    alice.join("away");
                    pg.stop();
                    alice.send(Map.of("type", "send", "room", "away", "text", "into the void", "id", "v1"));
                    assertEquals("unavailable", alice.expect("error").get("code"));
                    Map.Entry<Integer, Map<String, Object>> down = awaitReadiness(deployed, "DOWN");
                    assertEquals(503, down.getKey(), down.getValue()::toString);
                    assertEquals(Map.of("accepting", "UP", "database", "DOWN"), down.getValue().get("data"));
                    pg.restart();
                    assertEquals(200, awaitReadiness(deployed, "UP").getKey());
                }
            }
        }
    }

    /** Polls the container's readiness until the chat's check has this status (the node probes its database every few seconds). */
    private static Map.Entry<Integer, Map<String, Object>> awaitReadiness(DeployedServer deployed, String status) throws Exception {
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
        Map.Entry<Integer, Map<String, Object>> answer = deployed.chatCheck("health/ready");
        while (!status.equals(answer.getValue().get("status")) && System.nanoTime() < deadline) {
            Thread.sleep(200);
            answer = deployed.chatCheck("health/ready");
        }
        assertEquals(status, answer.getValue().get("status"), answer.getValue()::toString);
        return answer;
    }

    @Test
    void theConversationLivesInTheContainersDataSourceAndOutlivesTheServer() throws Exception {
        PostgresServer pg = Databases.postgres();
        String url = Databases.newPostgresDatabase();
        String database = url.substring(url.lastIndexOf('/') + 1);
        Map<String, String> settings = new HashMap<>(Map.of("chat.db.jndi", jndiName(), "chat.rate.per.sec", "1000",
                "chat.rate.burst", "1000"));
        String token;
        String epoch;
        try (DeployedServer first = newServer(settings, jndiName(), url, pg.user(), pg, database).start()) {
            RemoteServer server = first.remote();
            token = server.token("ds-alice");
            try (WsClient alice = WsClient.connect(server.ws(token), Map.of("Origin", server.origin()))) {
                epoch = (String) alice.expect("welcome").get("epoch");
                alice.join("kept");
                for (int i = 1; i <= 3; i++) {
                    assertEquals(i, alice.say("kept", "m" + i));
                }
            }
        }
        try (Connection c = DriverManager.getConnection(url, pg.user(), pg.password());
             PreparedStatement ps = c.prepareStatement("SELECT text FROM messages WHERE room = 'kept' ORDER BY seq");
             ResultSet rs = ps.executeQuery()) {
            List<String> texts = new ArrayList<>();
            while (rs.next()) {
                texts.add(rs.getString(1));
            }
            assertEquals(List.of("m1", "m2", "m3"), texts, "the messages are in the container's database");
        }
        try (DeployedServer second = newServer(settings, jndiName(), url, pg.user(), pg, database).start()) {
            RemoteServer server = second.remote();
            assertEquals(200, server.post("api/login", TestServer.credentials("ds-alice", "password-ds-alice")).statusCode());
            try (WsClient alice = WsClient.connect(server.ws(token), Map.of("Origin", server.origin()))) {
                assertEquals(epoch, alice.expect("welcome").get("epoch"));
                alice.send(Map.of("type", "join", "room", "kept", "since", 0, "id", "j"));
                List<Object> replayed = new ArrayList<>();
                Map<String, Object> f;
                while (!"joined".equals((f = alice.next()).get("type"))) {
                    replayed.add(f.get("text"));
                }
                assertEquals(List.of("m1", "m2", "m3"), replayed);
                assertEquals(Boolean.TRUE, f.get("recovered"));
                assertEquals(4, alice.say("kept", "m4"));
            }
        }
    }
}
