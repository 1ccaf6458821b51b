package dev.chat.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.event.RoomEvent;
import dev.chat.metrics.ChatMetrics;
import dev.chat.testing.Databases;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The store of record on a real SQLite file and a real PostgreSQL server: seqs gap-free and in
 * order under concurrent senders, idempotent resends, paging a long history back to seq 1,
 * durability across a reopen, retention, and what an outage looks like.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class JdbcMessageStoreTest {
    private static final Clock CLOCK = Clock.systemUTC();
    private static final String HOSTILE = "O'Brien said \"hi\"'); DROP TABLE messages;-- \u00e9\u4e2d";

    private static Map<String, String> settings(String kind) throws Exception {
        return kind.equals("sqlite") ? Databases.sqliteSettings() : Databases.postgresSettings();
    }

    private static RoomEvent.Posted message(String room, String from, String text, String id) {
        return message(room, from, text, id, CLOCK.instant());
    }

    private static RoomEvent.Posted message(String room, String from, String text, String id, Instant at) {
        return new RoomEvent.Posted(room, from, text, id, "conn-1", "trace-1", 0, at.toEpochMilli(), 0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void concurrentSendersGetGapFreeSeqsPerRoomAndFuturesCompleteInSeqOrder(String kind) throws Exception {
        try (Database db = Databases.open(settings(kind));
             JdbcMessageStore store = new JdbcMessageStore(db, CLOCK, Duration.ofMinutes(10), new ChatMetrics())) {
            Map<String, List<Long>> completed = new ConcurrentHashMap<>();
            List<CompletableFuture<MessageStore.Appended>> all = new CopyOnWriteArrayList<>();
            // waited on rather than the futures: a future's other dependents may run before its callback has
            List<CompletableFuture<Void>> callbacks = new CopyOnWriteArrayList<>();
            // the writer waits on a lock held here until every callback is registered: a future that
            // completed first would run its callback on the registering thread, out of the writer's order
            java.sql.Connection hold = db.connection();
            hold.setAutoCommit(false);
            try (java.sql.Statement st = hold.createStatement()) {
                st.execute(kind.equals("sqlite") ? "INSERT INTO store_info (name, value) VALUES ('hold', 'x')"
                        : "LOCK TABLE rooms IN EXCLUSIVE MODE");
            }
            List<Thread> senders = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int sender = t;
                Thread thread = new Thread(() -> {
                    for (int i = 0; i < 300; i++) {
                        String room = "r" + (i % 3);
                        CompletableFuture<MessageStore.Appended> f = store.append(message(room, "u" + sender, "m" + i, "id-" + i));
                        callbacks.add(f.thenAccept(a -> completed.computeIfAbsent(room, r -> Collections.synchronizedList(new ArrayList<>()))
                                .add(a.message().seq())));
                        all.add(f);
                    }
                });
                thread.start();
                senders.add(thread);
            }
            for (Thread t : senders) {
                t.join();
            }
            hold.rollback();
            hold.close();
            CompletableFuture.allOf(callbacks.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            for (int r = 0; r < 3; r++) {
                assertEquals(LongStream.rangeClosed(1, 400).boxed().toList(), completed.get("r" + r),
                        "room r" + r + ": every seq once, completed in order");
                HistorySlice slice = store.after("r" + r, 0, 1000);
                assertEquals(400, slice.latestSeq());
                assertEquals(LongStream.rangeClosed(1, 400).boxed().toList(), slice.messages().stream().map(RoomEvent.Posted::seq).toList());
            }
            assertFalse(all.stream().anyMatch(f -> f.join().duplicate()), "distinct (sender, id) pairs are never duplicates");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aResentIdGetsItsFirstSeqWithinTheWindowOnly(String kind) throws Exception {
        try (Database db = Databases.open(settings(kind));
             JdbcMessageStore store = new JdbcMessageStore(db, CLOCK, Duration.ofSeconds(60), new ChatMetrics())) {
            long first = store.append(message("g", "alice", "hello", "c-1")).get(10, TimeUnit.SECONDS).message().seq();
            // the same id again, and twice in one batch: one message
            CompletableFuture<MessageStore.Appended> again = store.append(message("g", "alice", "hello", "c-1"));
            CompletableFuture<MessageStore.Appended> third = store.append(message("g", "alice", "hello", "c-1"));
            assertEquals(first, again.get(10, TimeUnit.SECONDS).message().seq());
            assertTrue(again.get().duplicate());
            assertEquals(first, third.get(10, TimeUnit.SECONDS).message().seq());
            // another sender's id, and no id at all, are other messages
            assertEquals(first + 1, store.append(message("g", "bob", "hello", "c-1")).get(10, TimeUnit.SECONDS).message().seq());
            assertEquals(first + 2, store.append(message("g", "alice", "again", null)).get(10, TimeUnit.SECONDS).message().seq());
            // an id first used before the window is a new message
            store.append(message("g", "carol", "old", "c-9", CLOCK.instant().minusSeconds(120))).get(10, TimeUnit.SECONDS);
            MessageStore.Appended reused = store.append(message("g", "carol", "new", "c-9")).get(10, TimeUnit.SECONDS);
            assertFalse(reused.duplicate());
            assertEquals(first + 4, reused.message().seq());
            assertEquals(first + 4, store.latestSeq("g"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aBurstOfResendsAndNewIdsFromTwoSendersGetsEachIdOneSeq(String kind) throws Exception {
        try (Database db = Databases.open(settings(kind));
             JdbcMessageStore store = new JdbcMessageStore(db, CLOCK, Duration.ofSeconds(60), new ChatMetrics())) {
            Map<String, Long> firstSeq = new java.util.HashMap<>();
            List<CompletableFuture<MessageStore.Appended>> sent = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                sent.add(store.append(message("b", "alice", "a" + i, "id-" + i)));
                sent.add(store.append(message("b", "bob", "b" + i, "id-" + i)));
            }
            for (CompletableFuture<MessageStore.Appended> f : sent) {
                RoomEvent.Posted m = f.get(10, TimeUnit.SECONDS).message();
                firstSeq.put(m.from() + "/" + m.clientId(), m.seq());
            }
            assertEquals(200, new java.util.HashSet<>(firstSeq.values()).size(), "200 ids, 200 seqs");
            // every id again, interleaved with 50 new ones, as fast as they can be queued: batches of many ids
            List<CompletableFuture<MessageStore.Appended>> burst = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                burst.add(store.append(message("b", "bob", "b" + i, "id-" + i)));
                burst.add(store.append(message("b", "alice", "a" + i, "id-" + i)));
                if (i % 2 == 0) {
                    burst.add(store.append(message("b", "alice", "new" + i, "new-" + i)));
                }
            }
            List<Long> newSeqs = new ArrayList<>();
            for (CompletableFuture<MessageStore.Appended> f : burst) {
                MessageStore.Appended a = f.get(10, TimeUnit.SECONDS);
                String key = a.message().from() + "/" + a.message().clientId();
                if (a.message().clientId().startsWith("new-")) {
                    assertFalse(a.duplicate(), key);
                    newSeqs.add(a.message().seq());
                } else {
                    assertTrue(a.duplicate(), key);
                    assertEquals(firstSeq.get(key), a.message().seq(), key);
                }
            }
            assertEquals(java.util.stream.LongStream.rangeClosed(201, 250).boxed().toList(), newSeqs);
            assertEquals(250, store.latestSeq("b"));
        }
    }

    /** The generic plan PostgreSQL keeps after a few runs is made while the table is empty: it must still look each id up. */
    @Test
    void onPostgresTheBatchedResendLookupIsAnIndexLookupPerIdEvenPlannedOnAnEmptyTable() throws Exception {
        try (Database db = Databases.open(Databases.postgresSettings());
             java.sql.Connection c = db.connection();
             java.sql.Statement st = c.createStatement()) {
            int n = 0;
            StringBuilder sql = new StringBuilder();
            for (char ch : GroupCommit.FIND_SENT_MANY.toCharArray()) {
                sql.append(ch == '?' ? "$" + (++n) : String.valueOf(ch));
            }
            st.execute("SET plan_cache_mode = force_generic_plan");
            st.execute("PREPARE find_sent(varchar, bigint, varchar[], varchar[]) AS " + sql);
            StringBuilder plan = new StringBuilder();
            try (java.sql.ResultSet rs = st.executeQuery("EXPLAIN EXECUTE find_sent('r', 0, ARRAY['alice'], ARRAY['c-1'])")) {
                while (rs.next()) {
                    plan.append(rs.getString(1)).append('\n');
                }
            }
            String cond = plan.toString().lines().filter(l -> l.contains("Index Cond")).findFirst().orElse("");
            assertTrue(plan.toString().contains("Index Scan using messages_client_id"), plan.toString());
            assertTrue(cond.contains("sender") && cond.contains("client_id"), "all three columns in the index condition:\n" + plan);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aRoomOfAHundredThousandMessagesPagesBackToSeqOne(String kind) throws Exception {
        try (Database db = Databases.open(settings(kind));
             JdbcMessageStore store = new JdbcMessageStore(db, CLOCK, Duration.ofMinutes(10), new ChatMetrics())) {
            fill(store, "big", 100_000);
            List<Long> seen = new ArrayList<>();
            long before = Long.MAX_VALUE;
            while (true) {
                HistorySlice page = store.before("big", before, 1000);
                if (page.messages().isEmpty()) {
                    break;
                }
                List<Long> seqs = page.messages().stream().map(RoomEvent.Posted::seq).toList();
                seen.addAll(0, seqs);
                before = seqs.get(0);
            }
            assertEquals(LongStream.rangeClosed(1, 100_000).boxed().toList(), seen);
            assertEquals("m1", store.after("big", 0, 1).messages().get(0).text());
        }
    }

    /** Appends n messages as fast as the group commit takes them (in rounds, under its queue bound). */
    static void fill(MessageStore store, String room, int n) throws Exception {
        for (int from = 0; from < n; from += 10_000) {
            List<CompletableFuture<MessageStore.Appended>> round = new ArrayList<>();
            for (int i = from; i < Math.min(n, from + 10_000); i++) {
                round.add(store.append(message(room, "filler", "m" + (i + 1), null)));
            }
            CompletableFuture.allOf(round.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
        }
    }

    /** Who started which direct conversation is in the rooms table: a day's starts are counted there, apart from rooms owned. */
    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void directConversationsStartedAreCountedPerUserForADayApartFromRoomsOwned(String kind) throws Exception {
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(1_800_000_000_000L);
        Clock clock = new Clock() {
            @Override public java.time.ZoneId getZone() { return ZoneOffset.UTC; }
            @Override public Clock withZone(java.time.ZoneId zone) { return this; }
            @Override public Instant instant() { return Instant.ofEpochMilli(now.get()); }
        };
        try (Database db = Databases.open(settings(kind));
             JdbcMessageStore store = new JdbcMessageStore(db, clock, Duration.ofMinutes(10), new ChatMetrics())) {
            JdbcRoomAccess access = new JdbcRoomAccess(db, clock);
            assertTrue(access.startDirect("@alice+bob", "alice", 2));
            store.append(message("@alice+bob", "alice", "hi", "d-1")).get(10, TimeUnit.SECONDS);
            assertTrue(access.startDirect("@alice+carol", "alice", 2));
            assertFalse(access.startDirect("@alice+dave", "alice", 2), "the third of the day");
            assertTrue(access.startDirect("@alice+bob", "alice", 2), "one that exists goes on");
            assertTrue(access.startDirect("@alice+bob", "bob", 0), "and is not bob's to start, whatever his quota");
            assertEquals(1, store.after("@alice+bob", 0, 10).messages().size(), "the sequencer row kept its messages");
            assertEquals(0, access.roomsOwnedBy("alice"), "conversations are not rooms owned");
            assertTrue(access.create("alice-room", "alice", false));
            assertEquals(1, access.roomsOwnedBy("alice"));
            now.addAndGet(Duration.ofHours(24).toMillis());
            assertTrue(access.startDirect("@alice+dave", "alice", 2), "a day later");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void messagesUsersRoomsAndSeqsSurviveAReopenAndTheEpochStays(String kind) throws Exception {
        Map<String, String> settings = settings(kind);
        String epoch;
        try (Database db = Databases.open(settings);
             JdbcMessageStore store = new JdbcMessageStore(db, CLOCK, Duration.ofMinutes(10), new ChatMetrics())) {
            epoch = db.epoch();
            store.append(message("kept", "alice", "one", "k-1")).get(10, TimeUnit.SECONDS);
            store.append(message("kept", "alice", HOSTILE, "k-2")).get(10, TimeUnit.SECONDS);
            new JdbcUserStore(db, CLOCK).create("alice", "hash-a");
            JdbcRoomAccess access = new JdbcRoomAccess(db, CLOCK);
            assertTrue(access.create("team", "alice", true));
            assertTrue(access.invite("team", "alice", "bob"));
        }
        try (Database db = Databases.open(settings);
             JdbcMessageStore store = new JdbcMessageStore(db, CLOCK, Duration.ofMinutes(10), new ChatMetrics())) {
            assertEquals(epoch, db.epoch());
            assertEquals(List.of("one", HOSTILE), store.after("kept", 0, 10).messages().stream().map(RoomEvent.Posted::text).toList(),
                    "text is bound, never spliced into SQL");
            assertEquals(3, store.append(message("kept", "alice", "three", "k-3")).get(10, TimeUnit.SECONDS).message().seq());
            assertEquals(2, store.append(message("kept", "alice", HOSTILE, "k-2")).get(10, TimeUnit.SECONDS).message().seq(),
                    "the dedupe window is in the database: a resend after a restart is still the same message");
            assertEquals("hash-a", new JdbcUserStore(db, CLOCK).passwordHash("alice").orElseThrow());
            JdbcRoomAccess access = new JdbcRoomAccess(db, CLOCK);
            assertTrue(access.mayJoin("team", "bob"));
            assertFalse(access.mayJoin("team", "carol"));
            assertFalse(access.create("team", "carol", false), "owned already");
            assertFalse(access.create("kept", "carol", false), "written in already");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void retentionDeletesOldMessagesInBatchesAndSeqsGoOn(String kind) throws Exception {
        try (Database db = Databases.open(settings(kind));
             JdbcMessageStore store = new JdbcMessageStore(db, CLOCK, Duration.ofMinutes(10), new ChatMetrics())) {
            Instant old = CLOCK.instant().minus(Duration.ofDays(100));
            List<CompletableFuture<MessageStore.Appended>> olds = new ArrayList<>();
            for (int i = 0; i < 2500; i++) {
                olds.add(store.append(message("ret", "alice", "old" + i, null, old)));
            }
            CompletableFuture.allOf(olds.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            store.append(message("ret", "alice", "new", null)).get(10, TimeUnit.SECONDS);
            assertEquals(2500, new Retention(db, Duration.ofDays(90), CLOCK).run(), "three batches of at most 1000");
            HistorySlice left = store.after("ret", 0, 10);
            assertEquals(List.of(2501L), left.messages().stream().map(RoomEvent.Posted::seq).toList());
            assertEquals(2501, left.oldestSeq());
            assertEquals(2502, store.append(message("ret", "alice", "next", null)).get(10, TimeUnit.SECONDS).message().seq());
        }
    }

    /** The writer keeps its connection between commits: SQLite must still checkpoint and restart its log. */
    @Test
    void onSqliteTheWriteAheadLogStaysBoundedUnderThousandsOfCommits() throws Exception {
        Map<String, String> settings = Databases.sqliteSettings();
        java.nio.file.Path wal = java.nio.file.Path.of(settings.get("CHAT_DATA_DIR"), "chat.db-wal");
        try (Database db = Databases.open(settings);
             JdbcMessageStore store = new JdbcMessageStore(db, CLOCK, Duration.ofMinutes(10), new ChatMetrics())) {
            long largest = 0;
            for (int i = 0; i < 4000; i++) { // one commit each: about 3 pages of log per commit, 12 000 pages in all
                store.append(message("w" + (i % 7), "alice", "m" + i, "id-" + i)).get(10, TimeUnit.SECONDS);
                if (i % 100 == 0) {
                    largest = Math.max(largest, java.nio.file.Files.size(wal));
                }
            }
            largest = Math.max(largest, java.nio.file.Files.size(wal));
            // SQLite's automatic checkpoint every 1000 pages (4 MiB) restarts the log; without it, 40+ MiB
            assertTrue(largest < 8L << 20, "the log reached " + largest + " bytes");
        }
    }

    /**
     * A database that falls behind must not fill the heap: 50 000 waiting texts of 4 096 characters
     * would be 800 MiB, so what waits (the batch being written included) is bounded by characters
     * too, and a send over it fails at once, as with a full queue.
     */
    @Test
    void textWaitingForAStalledDatabaseIsBoundedInCharactersAndTheRestIsCommittedOnceItMovesAgain() throws Exception {
        Map<String, String> settings = Databases.sqliteSettings();
        String text = "x".repeat(4096);
        int fits = (int) (GroupCommit.MAX_QUEUED_CHARS / text.length());
        try (Database db = Databases.open(settings);
             JdbcMessageStore store = new JdbcMessageStore(db, CLOCK, Duration.ofMinutes(10), new ChatMetrics());
             java.sql.Connection blocker = java.sql.DriverManager.getConnection(
                     "jdbc:sqlite:" + java.nio.file.Path.of(settings.get("CHAT_DATA_DIR"), "chat.db"));
             java.sql.Statement st = blocker.createStatement()) {
            st.execute("BEGIN IMMEDIATE"); // holds the write lock: the writer waits (busy timeout 5 s)
            List<CompletableFuture<MessageStore.Appended>> sent = new ArrayList<>();
            for (int i = 0; i < fits + 200; i++) {
                sent.add(store.append(message("stalled", "alice", text, "s-" + i)));
            }
            long refused = sent.stream().filter(CompletableFuture::isCompletedExceptionally).count();
            st.execute("ROLLBACK");
            assertEquals(200, refused, "refused at once, past " + fits + " texts of 4 096 characters");
            for (CompletableFuture<MessageStore.Appended> f : sent) {
                if (!f.isCompletedExceptionally()) {
                    f.get(30, TimeUnit.SECONDS);
                }
            }
            assertEquals(fits, store.latestSeq("stalled"), "every accepted text committed once the lock went");
            assertEquals(1, store.append(message("other", "alice", "after", "a-1")).get(10, TimeUnit.SECONDS).message().seq(),
                    "the budget is free again");
        }
    }

    @Test
    void onSqliteTheResendLookupUsesTheClientIdIndexNotAScanOfTheRoom() throws Exception {
        try (Database db = Databases.open(Databases.sqliteSettings());
             java.sql.Connection c = db.connection();
             java.sql.PreparedStatement ps = c.prepareStatement("EXPLAIN QUERY PLAN " + GroupCommit.FIND_SENT)) {
            ps.setString(1, "r");
            ps.setString(2, "alice");
            ps.setString(3, "c-1");
            ps.setLong(4, 0);
            StringBuilder plan = new StringBuilder();
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    plan.append(rs.getString(4)).append('\n');
                }
            }
            assertTrue(plan.toString().contains("USING INDEX messages_client_id"), plan.toString());
        }
    }

    @Test
    void aPostgresOutageAnswersUnavailableAndTheStoreHealsWithinFiveSeconds() throws Exception {
        dev.chat.testing.PostgresServer pg = dev.chat.testing.PostgresServer.start();
        try (pg; Database db = Databases.open(Map.of("CHAT_DB_URL", pg.jdbcUrl(), "CHAT_DB_USER", pg.user()));
             JdbcMessageStore store = new JdbcMessageStore(db, CLOCK, Duration.ofMinutes(10), new ChatMetrics())) {
            assertEquals(1, store.append(message("o", "alice", "before", "o-1")).get(10, TimeUnit.SECONDS).message().seq());
            pg.kill();
            CompletionException failed = null;
            for (int i = 0; i < 3 && failed == null; i++) { // a pooled connection may still look alive once
                try {
                    store.append(message("o", "alice", "during", "o-2")).join();
                } catch (CompletionException e) {
                    failed = e;
                }
            }
            assertInstanceOf(StoreUnavailableException.class, failed.getCause());
            assertFalse(db.healthy());
            long t0 = System.nanoTime();
            assertInstanceOf(StoreUnavailableException.class, org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class,
                    () -> store.after("o", 0, 10)));
            assertTrue(System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(500), "no thread waits on a database known to be down");
            pg.restart();
            long back = System.nanoTime();
            while (!db.healthy()) {
                assertTrue(System.nanoTime() - back < TimeUnit.SECONDS.toNanos(5), "healed within 5 s of the database returning");
                Thread.sleep(50);
            }
            MessageStore.Appended resent = store.append(message("o", "alice", "during", "o-2")).get(10, TimeUnit.SECONDS);
            assertEquals(2, resent.message().seq(), "nothing was committed during the outage; the resend is the next seq");
            assertNotEquals(0, store.after("o", 0, 10).messages().size());
        }
    }

    /**
     * The longest direct room (two 64-character names of "+", each escaped to three characters) and
     * a 64-code-point sender outside the BMP fit the columns: PostgreSQL enforces VARCHAR lengths
     * (V4 widened the room columns), SQLite does not.
     */
    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void theLongestDirectRoomAndA64CharacterSenderAreStoredAndReadBackExactly(String kind) throws Exception {
        String plus = "+".repeat(64);
        String room = RoomEvent.directRoom(plus, dev.chat.testing.Names.UNICODE_64);
        String sender = "\ud83d\ude00".repeat(64);
        try (Database db = Databases.open(settings(kind));
             JdbcMessageStore store = new JdbcMessageStore(db, CLOCK, Duration.ofMinutes(10), new ChatMetrics())) {
            assertTrue(new JdbcRoomAccess(db, CLOCK).startDirect(room, plus, 10));
            store.append(message(room, sender, "hi", "d-1")).get(10, TimeUnit.SECONDS);
            java.util.List<RoomEvent.Posted> back = store.after(room, 0, 10).messages();
            assertEquals(1, back.size());
            assertEquals(room, back.get(0).room());
            assertEquals(sender, back.get(0).from());
        }
    }
}
