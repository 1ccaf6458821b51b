package dev.chat.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.testing.Databases;
import dev.chat.testing.JarNode;
import dev.chat.testing.RedisServer;
import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/**
 * Several nodes (the shipped jar, as processes) and one real redis-server act as one chat server:
 * messages cross nodes exactly once in seq order, seq is gap-free under concurrent senders on all
 * nodes, presence is cluster-wide, and a crashed node's users leave within the presence TTL.
 */
@Timeout(180)
class ClusterIT {
    static final String SECRET = TestServer.SECRET;
    private static RedisServer redis;
    private final List<JarNode> nodes = new ArrayList<>();
    private final List<WsClient> clients = new ArrayList<>();
    private String prefix;
    /** The cluster's shared database: a new one per test. */
    private Map<String, String> database;

    @BeforeAll
    static void startRedis() throws Exception {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stopRedis() throws Exception {
        redis.close();
    }

    @AfterEach
    void stopNodes() throws Exception {
        clients.forEach(WsClient::close);
        for (JarNode node : nodes) {
            node.close();
        }
    }

    /** Every test has its own key prefix, so tests never see each other's rooms or users. */
    private JarNode node(TestInfo test, Map<String, String> extra) throws Exception {
        if (prefix == null) {
            prefix = "it-" + test.getTestMethod().orElseThrow().getName() + ":";
        }
        if (database == null) {
            database = Databases.postgresSettings();
        }
        Map<String, String> env = new HashMap<>(database);
        env.put("CHAT_REDIS_URL", redis.url());
        env.put("CHAT_REDIS_PREFIX", prefix);
        env.put("CHAT_JWT_SECRET", SECRET);
        env.put("CHAT_NODE_ID", "node" + (nodes.size() + 1));
        env.put("CHAT_RATE_PER_SEC", "10000");
        env.put("CHAT_RATE_BURST", "10000");
        env.putAll(extra);
        JarNode node = JarNode.start(env);
        nodes.add(node);
        assertTrue(node.base() != null, node::log);
        return node;
    }

    private WsClient client(JarNode node, String token) throws Exception {
        WsClient c = node.client(token);
        clients.add(c);
        return c;
    }

    /** A client whose welcome must name {@code user} exactly. */
    private WsClient named(JarNode node, String token, String user) throws Exception {
        WsClient c = WsClient.connect(node.ws(token), Map.of());
        clients.add(c);
        assertEquals(user, c.welcome());
        return c;
    }

    private static void awaitOnline(dev.chat.testing.ServerApiClient api, String user, boolean online, String why) throws Exception {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(15);
        while (!Boolean.valueOf(online).equals(dev.chat.testing.ServerApiClient.json(api.get("users/" + user)).get("online"))) {
            assertTrue(System.nanoTime() < deadline, why);
            Thread.sleep(50);
        }
    }

    private static long seq(Map<String, Object> frame) {
        return ((Number) frame.get("seq")).longValue();
    }

    @Test
    void usersRegisteredOnOneNodeLogInOnAnother(TestInfo test) throws Exception {
        JarNode a = node(test, Map.of());
        JarNode b = node(test, Map.of());
        a.token("shared-user");
        assertEquals(409, b.post("api/register", TestServer.credentials("shared-user", "password1")).statusCode());
        String token = b.login("shared-user");
        assertEquals("shared-user", client(b, token).join("lobby").get("members").toString().replaceAll("[\\[\\]]", ""));
    }

    @Test
    void everyNodeNamesTheSameHistoryEpoch(TestInfo test) throws Exception {
        JarNode a = node(test, Map.of());
        JarNode b = node(test, Map.of());
        String token = a.token("epochs");
        try (WsClient onA = WsClient.connect(a.ws(token), Map.of()); WsClient onB = WsClient.connect(b.ws(token), Map.of())) {
            Object epoch = onA.expect("welcome").get("epoch");
            assertTrue(epoch instanceof String s && !s.isEmpty(), "an epoch: " + epoch);
            assertEquals(epoch, onB.expect("welcome").get("epoch"), "one cluster, one history");
        }
    }

    @Test
    void aMessageSentOnOneNodeReachesTheOthersExactlyOnceInSeqOrder(TestInfo test) throws Exception {
        JarNode a = node(test, Map.of());
        JarNode b = node(test, Map.of());
        JarNode c = node(test, Map.of());
        WsClient alice = client(a, a.token("alice"));
        WsClient alice2 = client(a, a.login("alice"));
        WsClient bob = client(b, b.token("bob"));
        WsClient carol = client(c, c.token("carol"));
        for (WsClient w : List.of(alice, alice2, bob, carol)) {
            w.join("crossing");
        }
        // presence crosses nodes asynchronously: let it arrive before counting messages
        for (WsClient w : List.of(alice, alice2)) {
            assertEquals(java.util.Set.of("bob", "carol"), java.util.Set.of(w.expect("presence").get("user"), w.expect("presence").get("user")));
        }
        // bob joined before carol, so he hears of her; alice's join may cross the nodes after his joined answer
        for (Map<String, Object> p = bob.expect("presence"); !"carol".equals(p.get("user")); p = bob.expect("presence")) {
            assertEquals("alice", p.get("user"), p::toString);
        }
        int n = 50;
        for (int i = 1; i <= n; i++) {
            assertEquals(i, alice.say("crossing", "m" + i));
        }
        for (WsClient w : List.of(alice2, bob, carol)) {
            long expected = 1;
            while (expected <= n) {
                Map<String, Object> f = w.next();
                if ("presence".equals(f.get("type")) && "joined".equals(f.get("state"))) {
                    continue; // carol joined last: bob's join may cross the nodes after her joined answer
                }
                assertEquals("message", f.get("type"), f::toString);
                assertEquals(expected, seq(f));
                assertEquals("m" + expected, f.get("text"));
                assertEquals("alice", f.get("from"));
                expected++;
            }
            w.assertNothingPending("crossing");
        }
        alice.assertNothingPending("crossing");
        // each node timed its one receiver's 50 deliveries (a: from acceptance, Redis round trip
        // included; b and c: from arrival), and no latency is absurd
        for (JarNode node : List.of(a, b, c)) {
            assertEquals(n, awaitDeliveries(node, n), node::log);
            double sum = metric(node, "chat_delivery_latency_seconds_sum");
            assertTrue(sum > 0 && sum / n < 10, "mean delivery latency " + sum / n + " s");
        }
    }

    private static double metric(JarNode node, String series) throws Exception {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^" + java.util.regex.Pattern.quote(series)
                + " ([0-9.eE+-]+)$").matcher(node.get("metrics").body());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    /** The delivery-latency count once it reaches {@code expected} (a write completes just after the client reads). */
    private static double awaitDeliveries(JarNode node, int expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        double count = metric(node, "chat_delivery_latency_seconds_count");
        while (count < expected && System.nanoTime() < deadline) {
            Thread.sleep(50);
            count = metric(node, "chat_delivery_latency_seconds_count");
        }
        return count;
    }

    @Test
    void concurrentSendersOnEveryNodeGetGapFreeSeqAndEveryoneSeesTheSameOrder(TestInfo test) throws Exception {
        List<JarNode> three = List.of(node(test, Map.of()), node(test, Map.of()), node(test, Map.of()));
        List<WsClient> senders = new ArrayList<>();
        List<WsClient> readers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            JarNode node = three.get(i);
            senders.add(client(node, node.token("sender" + i)));
            readers.add(client(node, node.token("reader" + i)));
        }
        for (WsClient r : readers) {
            r.join("race");
        }
        for (WsClient s : senders) {
            s.join("race");
        }
        int each = 100;
        ExecutorService pool = Executors.newFixedThreadPool(3);
        List<CompletableFuture<List<Long>>> acks = new ArrayList<>();
        for (WsClient s : senders) {
            acks.add(CompletableFuture.supplyAsync(() -> {
                List<Long> seqs = new ArrayList<>();
                try {
                    for (int i = 0; i < each; i++) {
                        s.send(Map.of("type", "send", "room", "race", "text", "x" + i, "id", "i" + i));
                    }
                    while (seqs.size() < each) {
                        Map<String, Object> f = s.next();
                        if ("ack".equals(f.get("type"))) {
                            seqs.add(seq(f));
                        }
                    }
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                return seqs;
            }, pool));
        }
        List<Long> all = new ArrayList<>();
        for (CompletableFuture<List<Long>> f : acks) {
            all.addAll(f.get(60, TimeUnit.SECONDS));
        }
        pool.shutdown();
        all.sort(Long::compare);
        List<Long> expected = new ArrayList<>();
        for (long i = 1; i <= 3L * each; i++) {
            expected.add(i);
        }
        assertEquals(expected, all, "acked seqs are exactly 1..300");
        for (WsClient r : readers) {
            List<Long> seen = new ArrayList<>();
            while (seen.size() < 3 * each) {
                Map<String, Object> f = r.next();
                if ("message".equals(f.get("type"))) {
                    seen.add(seq(f));
                }
            }
            assertEquals(expected, seen, "every reader sees 1..300 once, in order");
        }
    }

    @Test
    void presenceAndTypingCrossNodes(TestInfo test) throws Exception {
        JarNode a = node(test, Map.of());
        JarNode b = node(test, Map.of());
        WsClient alice = client(a, a.token("alice"));
        alice.join("meet");
        WsClient bob = client(b, b.token("bob"));
        assertEquals(List.of("alice", "bob"), bob.join("meet").get("members"));
        assertEquals(Map.of("type", "presence", "room", "meet", "user", "bob", "state", "joined"), alice.next());
        bob.send(Map.of("type", "typing", "room", "meet"));
        assertEquals(Map.of("type", "typing", "room", "meet", "user", "bob"), alice.next(), "typing crosses nodes");
        WsClient bob2 = client(b, b.login("bob"));
        bob2.join("meet"); // bob is already in: nobody hears of it
        bob.close();
        bob2.close();
        assertEquals(Map.of("type", "presence", "room", "meet", "user", "bob", "state", "left"), alice.next());
        alice.assertNothingPending("meet");
    }

    /** Two devices of alice on two nodes and bob: rooms and read state follow alice across the cluster. */
    @Test
    void membershipAndReadStateFollowTheUserAcrossNodes(TestInfo test) throws Exception {
        JarNode a = node(test, Map.of());
        JarNode b = node(test, Map.of());
        WsClient laptop = client(b, b.token("alice"));
        WsClient bob = client(b, b.token("bob"));
        WsClient phone = client(a, a.login("alice"));
        phone.join("crew");
        assertEquals(0L, seq(laptop.expectMembership("crew", "joined")), "the device on the other node followed");
        assertEquals(List.of("alice", "bob"), bob.join("crew").get("members"));
        for (WsClient device : List.of(phone, laptop)) {
            assertEquals(Map.of("type", "presence", "room", "crew", "user", "bob", "state", "joined"), device.next());
        }
        bob.say("crew", "one");
        bob.say("crew", "two");
        for (WsClient device : List.of(phone, laptop)) {
            assertEquals("one", device.expect("message").get("text"));
            assertEquals("two", device.expect("message").get("text"));
        }
        laptop.send(Map.of("type", "read", "room", "crew", "seq", 1, "id", "r"));
        Map<String, Object> reply = laptop.expect("read");
        assertEquals(List.of("r", 1L, 1L, 0L), List.of(reply.get("id"), seq(reply), ((Number) reply.get("unread")).longValue(),
                ((Number) reply.get("mentions")).longValue()));
        Map<String, Object> news = phone.expect("read");
        assertEquals(List.of("crew", 1L, 1L), List.of(news.get("room"), seq(news), ((Number) news.get("unread")).longValue()),
                "the read crossed nodes with the same counts");

        WsClient tablet = WsClient.connect(a.ws(a.login("alice")), Map.of());
        clients.add(tablet);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> rooms = (List<Map<String, Object>>) tablet.expect("welcome").get("rooms");
        assertEquals(1, rooms.size(), rooms::toString);
        Map<String, Object> crew = rooms.get(0);
        assertEquals(List.of("crew", 2L, 1L, 1L, 0L), List.of(crew.get("room"), seq(crew), ((Number) crew.get("read")).longValue(),
                ((Number) crew.get("unread")).longValue(), ((Number) crew.get("mentions")).longValue()));

        laptop.send(Map.of("type", "leave", "room", "crew", "id", "bye"));
        assertEquals("left", laptop.expect("left").get("type"));
        phone.expectMembership("crew", "left");
        tablet.expectMembership("crew", "left");
        assertEquals(Map.of("type", "presence", "room", "crew", "user", "alice", "state", "left"), bob.next());
        bob.say("crew", "gone?");
        for (WsClient device : List.of(phone, laptop, tablet)) {
            device.assertNothingPendingOutside();
        }
    }

    /**
     * The next frame of this type, past presence news: a member's join on the other node may reach
     * a client after its own join's answer, whose member list already had it.
     */
    private static Map<String, Object> past(WsClient c, String type) throws InterruptedException {
        Map<String, Object> frame;
        while ("presence".equals((frame = c.next()).get("type")) && "joined".equals(frame.get("state"))) {
            // the other node's news of a join
        }
        Map<String, Object> got = frame;
        assertEquals(type, got.get("type"), () -> "unexpected frame " + got);
        return got;
    }

    /** Edits, deletes, reactions and replies made on one node reach the other, and its history has them as they stand. */
    @Test
    void changesOfMessagesCrossNodesAndTheirHistoryAgrees(TestInfo test) throws Exception {
        JarNode a = node(test, Map.of());
        JarNode b = node(test, Map.of());
        WsClient alice = client(a, a.token("alice"));
        WsClient bob = client(b, b.token("bob"));
        alice.join("talk");
        bob.join("talk");
        assertEquals("bob", alice.expect("presence").get("user"));
        long question = alice.say("talk", "tea or coffee @bob?");
        Map<String, Object> asked = past(bob, "message");
        assertEquals(List.of("bob"), asked.get("mentions"), "found at commit, carried across");
        bob.send(Map.of("type", "send", "room", "talk", "text", "tea", "replyTo", question, "id", "re"));
        long answer = seq(past(bob, "ack"));
        assertEquals(question, ((Number) past(alice, "message").get("replyTo")).longValue());
        alice.send(Map.of("type", "edit", "room", "talk", "target", question, "text", "tea or coffee, @bob?", "id", "e"));
        long edit = seq(past(alice, "ack"));
        Map<String, Object> edited = past(bob, "edited");
        assertEquals(List.of(edit, question, "tea or coffee, @bob?"),
                List.of(seq(edited), ((Number) edited.get("target")).longValue(), edited.get("text")));
        bob.send(Map.of("type", "react", "room", "talk", "target", question, "emoji", "☕", "id", "r"));
        long reacted = seq(past(bob, "ack"));
        Map<String, Object> reaction = past(alice, "reaction");
        assertEquals(List.of(reacted, "☕", true), List.of(seq(reaction), reaction.get("emoji"), reaction.get("on")));
        bob.send(Map.of("type", "delete", "room", "talk", "target", answer, "id", "d"));
        long deleted = seq(past(bob, "ack"));
        assertEquals(deleted, seq(past(alice, "deleted")));

        for (WsClient reader : List.of(alice, bob)) {
            reader.send(Map.of("type", "history", "room", "talk", "id", "h"));
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> page = (List<Map<String, Object>>) past(reader, "history").get("messages");
            assertEquals(List.of("message", "message", "edited", "reaction", "deleted"), page.stream().map(m -> m.get("type")).toList());
            assertEquals(List.of("tea or coffee, @bob?", Map.of("☕", List.of("bob"))), List.of(page.get(0).get("text"), page.get(0).get("reactions")));
            assertEquals(true, page.get(1).get("deleted"));
        }
    }

    /** The server API acts cluster-wide: a bot's post and a disconnect made on one node reach the other's clients; both nodes read the same room. */
    @Test
    void theServerApiOnOneNodeActsOnTheOthersClients(TestInfo test) throws Exception {
        Map<String, String> keys = Map.of("CHAT_API_KEYS", dev.chat.testing.ServerApiClient.KEYS, "CHAT_WEBHOOK_OFFLINE_DEBOUNCE", "1s");
        JarNode a = node(test, keys);
        JarNode b = node(test, keys);
        dev.chat.testing.ServerApiClient onA = dev.chat.testing.ServerApiClient.of(java.net.URI.create(a.base()));
        dev.chat.testing.ServerApiClient onB = dev.chat.testing.ServerApiClient.of(java.net.URI.create(b.base()));
        WsClient bob = client(b, b.token("bob"));
        WsClient bob2 = client(b, b.login("bob"));
        bob.join("ops");
        bob2.expectMembership("ops", "joined");

        java.net.http.HttpResponse<String> posted = onA.post("messages", "{\"room\":\"ops\",\"from\":\"bot:pager\",\"text\":\"disk full\",\"idempotencyKey\":\"alert-1\"}");
        assertEquals(201, posted.statusCode(), posted::body);
        long seq = ((Number) dev.chat.testing.ServerApiClient.json(posted).get("seq")).longValue();
        for (WsClient device : List.of(bob, bob2)) {
            Map<String, Object> m = past(device, "message");
            assertEquals(List.of("bot:pager", "disk full", seq), List.of(m.get("from"), m.get("text"), seq(m)));
        }
        java.net.http.HttpResponse<String> again = onB.post("messages", "{\"room\":\"ops\",\"from\":\"bot:pager\",\"text\":\"disk full\",\"idempotencyKey\":\"alert-1\"}");
        assertEquals(201, again.statusCode(), again::body);
        assertEquals(seq, ((Number) dev.chat.testing.ServerApiClient.json(again).get("seq")).longValue(), "the key is the cluster's, not the node's");

        assertEquals(201, onA.post("rooms", "{\"room\":\"war-room\",\"private\":true,\"owner\":\"bob\"}").statusCode());
        for (WsClient device : List.of(bob, bob2)) {
            Map<String, Object> joined = past(device, "membership");
            assertEquals(List.of("war-room", "joined"), List.of(joined.get("room"), joined.get("state")), "a room made on a enters b's devices");
        }
        assertEquals(200, onB.call("DELETE", "rooms/war-room/members/bob", null).statusCode());
        for (WsClient device : List.of(bob, bob2)) {
            assertEquals("war-room", past(device, "removed").get("room"), "a kick on b reaches both devices");
        }
        Map<String, Object> room = dev.chat.testing.ServerApiClient.json(onA.get("rooms/ops"));
        assertEquals(List.of(List.of("bob"), List.of("bob"), seq), List.of(room.get("members"), room.get("online"), ((Number) room.get("seq")).longValue()),
                "online across nodes: bob is connected to the other node");
        assertEquals(true, dev.chat.testing.ServerApiClient.json(onA.get("users/bob")).get("online"));
        String carolsToken = b.token("carol");
        assertEquals(false, dev.chat.testing.ServerApiClient.json(onA.get("users/carol")).get("online"));
        try (WsClient carol = client(b, carolsToken)) {
            // in no room, so in no presence: only what node b reported to the database says carol is here
            awaitOnline(onA, "carol", true, "carol, connected to b only and in no room, is online seen from a");
        }
        awaitOnline(onA, "carol", false, "carol's last connection closed: offline after the debounce");

        assertEquals(202, onA.post("users/bob/disconnect", "{}").statusCode());
        assertEquals(4503, bob.awaitClose());
        assertEquals(4503, bob2.awaitClose());
        WsClient bob3 = client(b, b.login("bob"));
        // a message on bob's channel proves node b listens to it again (it subscribes as bob comes back)
        assertEquals(201, onA.post("messages", "{\"to\":\"bob\",\"from\":\"bot:pager\",\"text\":\"still there?\"}").statusCode());
        assertEquals("still there?", past(bob3, "message").get("text"));
        assertEquals(200, onA.post("users/bob/ban", "{}").statusCode());
        assertEquals(4503, bob3.awaitClose(), "a ban on one node closes the user's connections on the other");
        assertEquals(403, b.post("api/login", TestServer.credentials("bob", "password-bob")).statusCode(), "and every node refuses the login");
        assertEquals(200, onB.call("DELETE", "users/bob/ban", null).statusCode());
        assertEquals(200, a.post("api/login", TestServer.credentials("bob", "password-bob")).statusCode());
        assertEquals(401, new dev.chat.testing.ServerApiClient(java.net.URI.create(b.base()), "not-the-key-not-the-key-not-the-key")
                .get("rooms/ops").statusCode());
    }

    @Test
    void aKilledNodesUsersLeaveWithinThePresenceTtl(TestInfo test) throws Exception {
        Map<String, String> ttl = Map.of("CHAT_PRESENCE_TTL", "2s");
        JarNode a = node(test, ttl);
        JarNode c = node(test, ttl);
        WsClient alice = client(a, a.token("alice"));
        alice.join("crash");
        WsClient carol = client(c, c.token("carol"));
        carol.join("crash");
        assertEquals("carol", alice.expect("presence").get("user"));
        long killed = System.nanoTime();
        c.kill();
        Map<String, Object> left = alice.expect("presence");
        assertEquals(Map.of("type", "presence", "room", "crash", "user", "carol", "state", "left"), left);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
        assertTrue(millis < 2000 + 2000, "left within TTL plus one sweep period, took " + millis + " ms");
        WsClient dave = client(a, a.token("dave"));
        assertEquals(List.of("alice", "dave"), dave.join("crash").get("members"));
    }

    /**
     * Redis grew 7.7 MB/s under a flood and some keys never expired. Every key the nodes write now
     * has a TTL or an owner that deletes it: when the only node of a room dies, nobody sweeps its
     * presence, so the keys expire on their own (three TTLs after the last refresh).
     */
    @Test
    void aRoomWhoseOnlyNodeWasKilledLeavesNoKeyInRedis(TestInfo test) throws Exception {
        prefix = "it-orphan:";
        JarNode a = node(test, Map.of("CHAT_PRESENCE_TTL", "1s"));
        WsClient alice = client(a, a.token("alice"));
        alice.join("orphan");
        try (redis.clients.jedis.Jedis jedis = new redis.clients.jedis.Jedis(java.net.URI.create(redis.url()))) {
            long written = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!jedis.exists(prefix + "room:orphan:members") && System.nanoTime() < written) {
                Thread.sleep(20); // the presence entry is written off the join's path
            }
            java.util.Set<String> keys = jedis.keys(prefix + "*");
            assertTrue(keys.contains(prefix + "room:orphan:presence"), keys::toString);
            for (String key : keys) {
                long ttl = jedis.pttl(key);
                assertTrue(ttl > 0 && ttl <= 3000, key + " has TTL " + ttl + " ms");
            }
            a.kill();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!jedis.keys(prefix + "*").isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertEquals(java.util.Set.of(), jedis.keys(prefix + "*"), "keys left behind by the dead node");
        }
    }

    @Test
    void usersOlderVersionsKeptInRedisAreImportedIntoTheDatabase(TestInfo test) throws Exception {
        prefix = "it-import:";
        try (redis.clients.jedis.Jedis jedis = new redis.clients.jedis.Jedis(java.net.URI.create(redis.url()))) {
            jedis.hset(prefix + "users", "old-timer", new dev.chat.auth.PasswordHasher(1_000).hash("password-old-timer"));
        }
        JarNode a = node(test, Map.of());
        assertEquals(200, a.post("api/login", TestServer.credentials("old-timer", "password-old-timer")).statusCode(), a::log);
        assertTrue(a.log().contains("imported 1 users from Redis"), a::log);
        assertEquals(409, a.post("api/register", TestServer.credentials("old-timer", "password-x")).statusCode());
    }

    @Test
    void aJwtSecretIsRequiredWithRedis(TestInfo test) throws Exception {
        JarNode node = JarNode.start(Map.of("CHAT_REDIS_URL", redis.url()));
        nodes.add(node);
        assertEquals(null, node.base());
        assertTrue(node.process().waitFor(30, TimeUnit.SECONDS));
        assertEquals(2, node.process().exitValue());
        assertTrue(node.log().contains("CHAT_JWT_SECRET must be set when CHAT_REDIS_URL is"), node.log());
    }

    @Test
    void directMessagesInvitationsAndKicksCrossNodes(TestInfo test) throws Exception {
        JarNode a = node(test, Map.of());
        JarNode b = node(test, Map.of());
        WsClient alice = client(a, a.token("alice"));
        String bobToken = a.token("bob");
        WsClient bobOnA = client(a, bobToken);
        WsClient bobOnB = client(b, bobToken);
        WsClient admin = client(b, dev.chat.testing.SeededUsers.adminToken("alice")); // alice with role admin

        alice.send(Map.of("type", "send", "to", "bob", "text", "across", "id", "dm-1"));
        assertEquals("bob", alice.expect("ack").get("to"));
        for (WsClient bob : List.of(bobOnA, bobOnB)) {
            Map<String, Object> m = bob.expect("message");
            assertEquals("across", m.get("text"));
            assertEquals("alice", m.get("from"));
        }
        assertEquals("across", admin.expect("message").get("text"), "the sender's other connection, on the other node");

        alice.send(Map.of("type", "create", "room", "secret", "private", true, "id", "c"));
        assertEquals("created", alice.expect("created").get("type"));
        alice.expect("joined");
        alice.send(Map.of("type", "invite", "room", "secret", "user", "bob", "id", "i"));
        assertEquals("invited", alice.expect("invited").get("type"));
        assertEquals(Map.of("type", "invitation", "room", "secret", "from", "alice"), bobOnB.next());
        bobOnB.join("secret");
        admin.send(Map.of("type", "kick", "room", "secret", "user", "bob", "id", "k"));
        Map<String, Object> f;
        while (!"removed".equals((f = bobOnB.next()).get("type"))) {
            // the invitation may also have reached this connection's other frames first
        }
        assertEquals(Map.of("type", "removed", "room", "secret", "by", "alice", "reason", "kicked"), f);
        bobOnB.send(Map.of("type", "join", "room", "secret", "id", "again"));
        assertEquals("forbidden", bobOnB.expect("error").get("code"), "the invitation was taken back");
    }

    @Test
    void logoutEverywhereClosesTheUsersConnectionsOnEveryNode(TestInfo test) throws Exception {
        JarNode a = node(test, Map.of());
        JarNode b = node(test, Map.of());
        JarNode c = node(test, Map.of());
        String onA = a.token("roamer");
        String onB = b.login("roamer");
        String onC = c.login("roamer");
        WsClient first = client(a, onA);
        WsClient second = client(b, onB);
        WsClient bystander = client(b, b.token("stayer"));
        // ended on the node where the user has no connection: the event crosses Redis to a and b
        java.net.http.HttpResponse<String> out = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1).build().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(c.base() + "api/logout"))
                        .header("Content-Type", "application/json").header("Authorization", "Bearer " + onC)
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"everywhere\":true}")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, out.statusCode(), out::body);
        assertEquals(3, ((Number) TestServer.json(out.body()).get("sessionsEnded")).intValue());
        WsClient.assertCode(4503, first);
        WsClient.assertCode(4503, second);
        assertTrue(!bystander.isClosed(), "another user's connection stays");
        for (JarNode node : List.of(a, b, c)) {
            for (String token : List.of(onA, onB, onC)) {
                try (WsClient again = WsClient.connect(node.ws(token), Map.of())) {
                    WsClient.assertCode(4503, again);
                }
            }
        }
    }

    /**
     * Provider names beyond the local syntax (issue 15) across nodes: an e-mail and a 64-character
     * Unicode name (with "+ % : { } |" and spaces) message each other directly from two nodes, the
     * pairs that the old direct naming merged stay apart, presence carries the exact names, and a
     * killed node's user with "|" in the name (presence entries are "user|node") still leaves.
     */
    @Test
    void providerNamesDirectMessagesAndPresenceCrossNodes(TestInfo test) throws Exception {
        try (dev.chat.testing.JwksServer idp = dev.chat.testing.JwksServer.start()) {
            com.nimbusds.jose.jwk.RSAKey key = idp.addRsaKey("cluster-names");
            Map<String, String> provider = Map.of("CHAT_JWT_JWKS_URL", idp.url().toString(),
                    "CHAT_JWT_ISSUER", dev.chat.testing.JwksServer.ISSUER, "CHAT_JWT_AUDIENCE", dev.chat.testing.JwksServer.AUDIENCE,
                    "CHAT_PRESENCE_TTL", "2s");
            JarNode a = node(test, provider);
            JarNode b = node(test, provider);
            java.util.function.Function<String, String> token = user -> {
                java.time.Instant now = java.time.Instant.now();
                return dev.chat.testing.JwksServer.sign(key, new com.nimbusds.jwt.JWTClaimsSet.Builder().subject(user)
                        .issuer(dev.chat.testing.JwksServer.ISSUER).audience(dev.chat.testing.JwksServer.AUDIENCE)
                        .issueTime(java.util.Date.from(now)).expirationTime(java.util.Date.from(now.plusSeconds(600))).build());
            };
            String email = dev.chat.testing.Names.EMAIL;
            String uni = dev.chat.testing.Names.UNICODE_64;
            WsClient erin = named(a, token.apply(email), email);
            WsClient far = named(b, token.apply(uni), uni);

            erin.send(Map.of("type", "send", "to", uni, "text", "across", "id", "dm-1"));
            assertEquals(uni, erin.expect("ack").get("to"));
            Map<String, Object> m = far.expect("message");
            assertEquals(Map.of("from", email, "to", uni, "text", "across"), Map.of("from", m.get("from"), "to", m.get("to"), "text", m.get("text")));
            far.send(Map.of("type", "send", "to", email, "text", "and back", "id", "dm-2"));
            assertEquals(2L, seq(far.expect("ack")), "one conversation, whichever side writes");
            Map<String, Object> back = erin.expect("message");
            assertEquals(uni, back.get("from"));
            assertEquals("and back", back.get("text"));

            // "@a+b+c" for both pairs under the old naming; the four users on two nodes
            WsClient ab = named(a, token.apply("cl-a+b"), "cl-a+b");
            WsClient c = named(b, token.apply("cl-c"), "cl-c");
            WsClient lone = named(a, token.apply("cl-a"), "cl-a");
            WsClient bc = named(b, token.apply("cl-b+c"), "cl-b+c");
            ab.send(Map.of("type", "send", "to", "cl-c", "text", "for c", "id", "x-1"));
            assertEquals(1L, seq(ab.expect("ack")));
            lone.send(Map.of("type", "send", "to", "cl-b+c", "text", "for b+c", "id", "x-2"));
            assertEquals(1L, seq(lone.expect("ack")), "a conversation of its own");
            assertEquals("for c", c.expect("message").get("text"));
            assertEquals("for b+c", bc.expect("message").get("text"));
            c.assertNothingPendingOutside();
            bc.assertNothingPendingOutside();

            erin.join("names");
            far.join("names");
            Map<String, Object> joined = erin.expect("presence");
            assertEquals(Map.of("type", "presence", "room", "names", "user", uni, "state", "joined"), joined);
            b.kill(); // nobody on b says goodbye: a's sweep parses "user|node" and must find the whole name
            Map<String, Object> left = erin.expect("presence");
            assertEquals(Map.of("type", "presence", "room", "names", "user", uni, "state", "left"), left);
        }
    }
}
