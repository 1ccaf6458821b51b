package dev.chat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.chat.connection.RateLimiter;
import dev.chat.testing.RawWsClient;
import dev.chat.testing.SeededUsers;
import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * After an outage a client resends, with the same ids, every message it has no ack for, all at
 * once (the page does). Resends of ids the server committed cost no rate token, so they are acked
 * with their first seqs however many there are, and the client is not closed as a flooder (4003);
 * a flood of ids the server never committed, or of one committed id over and over, still is.
 * Bucket: 10 frames a second, burst 5; the 30 resends are six bursts.
 */
@Timeout(60)
class ResendAfterOutageTest {
    private static final Jsonb JSONB = JsonbBuilder.create();
    private static final int RATE = 10;
    private static final int BURST = 5;
    private static final int MESSAGES = 30;
    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("CHAT_RATE_PER_SEC", Integer.toString(RATE), "CHAT_RATE_BURST", Integer.toString(BURST)),
                SeededUsers.create("ro-writer", "ro-reader", "ro-faker", "ro-replayer").dataDir());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private RawWsClient connect(String user, String room) throws Exception {
        RawWsClient c = RawWsClient.connect(server.ws(SeededUsers.token(user)), Map.of("Origin", server.origin()),
                RawWsClient.Options.defaults());
        c.expect("welcome");
        c.send(Map.of("type", "join", "room", room, "id", "j"));
        Map<String, Object> frame;
        while (Boolean.TRUE.equals((frame = c.nextJson()).get("replay"))) {
            // the history replayed before joined
        }
        assertEquals("joined", frame.get("type"), frame::toString);
        return c;
    }

    private static String send(String room, String id, String text) {
        return JSONB.toJson(Map.of("type", "send", "room", room, "id", id, "text", text));
    }

    /** Replies by id, until {@code count} have come (a refusal is immediate, an ack waits for its commit). */
    private static Map<String, Map<String, Object>> replies(RawWsClient c, int count) throws Exception {
        Map<String, Map<String, Object>> replies = new HashMap<>();
        while (replies.size() < count) {
            Map<String, Object> reply = c.nextJson();
            replies.put((String) reply.get("id"), reply);
        }
        return replies;
    }

    @Test
    void thirtyResendsAtOnceAfterAnOutageAreAllAckedWithTheirFirstSeqsAndNobodyIsClosed() throws Exception {
        String room = "ro-outage";
        try (WsClient reader = server.client(SeededUsers.token("ro-reader"))) {
            reader.join(room);
            Map<String, Long> seqs = new HashMap<>();
            try (RawWsClient writer = connect("ro-writer", room)) {
                assertEquals("joined", reader.expect("presence").get("state"));
                // within the rate: the join took a token, so four now, then one per refill (waiting
                // longer than a refill only ever adds tokens)
                for (int i = 0; i < MESSAGES; i++) {
                    if (i >= BURST - 1) {
                        Thread.sleep(1000 / RATE + 20);
                    }
                    writer.sendText(send(room, "w" + i, "message " + i));
                }
                Map<String, Map<String, Object>> acks = replies(writer, MESSAGES);
                for (int i = 0; i < MESSAGES; i++) {
                    Map<String, Object> ack = acks.get("w" + i);
                    assertEquals("ack", ack.get("type"), ack::toString);
                    seqs.put("w" + i, ((Number) ack.get("seq")).longValue());
                }
                for (int i = 0; i < MESSAGES; i++) {
                    assertEquals("w" + i, reader.expect("message").get("id"));
                }
            } // the connection is lost; the client never saw these acks, as far as it knows
            assertEquals("left", reader.expect("presence").get("state"));

            try (RawWsClient back = connect("ro-writer", room)) {
                List<String> resends = new ArrayList<>();
                for (int i = 0; i < MESSAGES; i++) {
                    resends.add(send(room, "w" + i, "message " + i));
                }
                back.sendTexts(resends); // all at once, in one write: six bursts' worth
                Map<String, Map<String, Object>> acks = replies(back, MESSAGES);
                for (int i = 0; i < MESSAGES; i++) {
                    Map<String, Object> ack = acks.get("w" + i);
                    assertEquals("ack", ack.get("type"), ack::toString);
                    assertEquals(seqs.get("w" + i), ((Number) ack.get("seq")).longValue(), "the first seq of w" + i);
                }
                // and they cost nothing: the bucket still holds what the join left (four) for new messages
                List<String> fresh = new ArrayList<>();
                for (int i = 0; i < BURST - 1; i++) {
                    fresh.add(send(room, "n" + i, "new " + i));
                }
                back.sendTexts(fresh);
                Map<String, Map<String, Object>> freshAcks = replies(back, BURST - 1);
                for (int i = 0; i < BURST - 1; i++) {
                    Map<String, Object> ack = freshAcks.get("n" + i);
                    assertEquals("ack", ack.get("type"), ack::toString);
                    assertEquals(MESSAGES + 1 + i, ((Number) ack.get("seq")).intValue());
                }
                assertNull(back.closedOrNull());
                // the reader saw each message once: no resend was stored or delivered again
                assertEquals("joined", reader.expect("presence").get("state"));
                for (int i = 0; i < BURST - 1; i++) {
                    assertEquals("n" + i, reader.expect("message").get("id"));
                }
            }
            assertEquals("left", reader.expect("presence").get("state"));
            reader.assertNothingPending(room);
        }
    }

    @Test
    void aFloodOfIdsTheServerNeverCommittedIsStillClosed4003() throws Exception {
        try (RawWsClient faker = connect("ro-faker", "ro-fakes")) {
            List<String> flood = new ArrayList<>();
            for (int i = 0; i < BURST + 2 * RateLimiter.FLOOD_STRIKES; i++) {
                flood.add(send("ro-fakes", "never-" + i, "resend?"));
            }
            faker.sendTexts(flood);
            RawWsClient.Closed closed = faker.awaitClose();
            assertEquals(4003, closed.code(), closed::toString);
        }
    }

    @Test
    void oneCommittedIdResentOverAndOverIsFreeOnceAndThenAFlood() throws Exception {
        String room = "ro-replays";
        try (RawWsClient replayer = connect("ro-replayer", room)) {
            replayer.sendText(send(room, "once", "hello"));
            Map<String, Object> ack = replayer.expect("ack");
            List<String> flood = new ArrayList<>();
            for (int i = 0; i < BURST + 2 * RateLimiter.FLOOD_STRIKES; i++) {
                flood.add(send(room, "once", "hello"));
            }
            replayer.sendTexts(flood);
            RawWsClient.Closed closed = replayer.awaitClose();
            assertEquals(4003, closed.code(), closed::toString);
            for (Map<String, Object> reply : replayer.drainJson()) {
                if ("ack".equals(reply.get("type"))) {
                    assertEquals(ack.get("seq"), reply.get("seq"), "every answered resend has the first seq");
                } else {
                    assertEquals("rate_limited", reply.get("code"), reply::toString);
                }
            }
        }
    }
}
