package dev.chat.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.TestServer;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The load generator for CI: a few seconds against the in-process server, nothing lost. Not a benchmark. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LoadGeneratorSmokeTest {

    private static LoadGenerator.Result run(TestServer server, int connections, int publishers, int window, double rate)
            throws Exception {
        String pid = Long.toString(ProcessHandle.current().pid());
        return LoadGenerator.run(new LoadGenerator.Options("chat",
                List.of(new InetSocketAddress("127.0.0.1", server.server().port())), connections, publishers, window,
                rate, 0.5, 1.5, 48, 1000, connections, List.of(pid), "smoke", 0, false));
    }

    private static TestServer server(int users) throws Exception {
        Path data = Files.createTempDirectory("chat-bench-");
        LoadGenerator.seedFile(data, users);
        return TestServer.start(Map.of("CHAT_RATE_PER_SEC", "100000", "CHAT_RATE_BURST", "100000"), data);
    }

    @Test
    void fanOutClosedLoopLosesNothing() throws Exception {
        try (TestServer server = server(9)) {
            LoadGenerator.Result r = run(server, 9, 1, 8, 0);
            assertEquals(9, r.members(), r::line);
            assertTrue(r.sent() > 50, r::line);
            assertEquals(r.sent() * 8, r.expected(), r::line); // every member but the sender's connection
            assertEquals(0, r.lost(), r::line);
            assertEquals(0, r.duplicates() + r.gaps() + r.errors() + r.closed(), r::line);
            assertTrue(r.deliveriesPerSecond() > 0 && r.p50() > 0 && r.p50() <= r.p99() && r.p99() <= r.max(), r::line);
            assertTrue(r.serverCpu() > 0, r::line);
        }
    }

    @Test
    void everyMemberPublishingAtAFixedRate() throws Exception {
        try (TestServer server = server(6)) {
            LoadGenerator.Result r = run(server, 6, 6, 0, 20);
            assertEquals(6, r.members(), r::line);
            // 6 publishers at 20/s for the 2 s of warm-up and measurement, give or take a tick
            assertTrue(r.sent() >= 200 && r.sent() <= 260, r::line);
            assertEquals(r.sent() * 5, r.expected(), r::line);
            assertEquals(0, r.lost(), r::line);
            assertEquals(0, r.duplicates() + r.gaps() + r.errors(), r::line);
        }
    }

    @Test
    void roomsWithPeopleComingAndGoingLoseNothing() throws Exception {
        try (TestServer server = server(40)) {
            String pid = Long.toString(ProcessHandle.current().pid());
            Map<String, Object> r = RoomsLoad.run(new RoomsLoad.Options(
                    List.of(new InetSocketAddress("127.0.0.1", server.server().port())), 40, 10, 10, 0.1, 0.5, 3, 1000,
                    List.of(pid), "smoke-rooms"));
            assertEquals(40, r.get("members"), r::toString);
            assertTrue(((Number) r.get("sent")).longValue() > 500, r::toString);
            assertTrue(((Number) r.get("reconnects")).longValue() >= 5, r::toString);
            assertEquals(0L, r.get("lost"), r::toString);
            assertEquals(0L, r.get("dup"), r::toString);
            assertEquals(0L, ((Number) r.get("errors")).longValue() + ((Number) r.get("closed")).longValue(), r::toString);
            assertTrue(((Number) r.get("delivered")).longValue() > 0, r::toString);
        }
    }
}
