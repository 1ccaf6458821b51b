package dev.chat.room;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.chat.bus.Bus;
import dev.chat.event.RoomEvent;
import dev.chat.metrics.ChatMetrics;
import dev.chat.store.Database;
import dev.chat.store.JdbcMessageStore;
import dev.chat.testing.Databases;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The ordering stage between the bus and the registry, over a real SQLite store: what reaches the
 * registry is each conversation's messages in seq order, each once, whatever order the bus brings
 * them in or whichever it never brings.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DeliveryOrderTest {
    /** Stands in for the registry: records what it is handed. */
    private final LinkedBlockingQueue<RoomEvent> delivered = new LinkedBlockingQueue<>();
    private Database db;
    private JdbcMessageStore store;
    private DeliveryOrder order;

    @BeforeEach
    void open() throws Exception {
        db = Databases.open(Databases.sqliteSettings());
        store = new JdbcMessageStore(db, Clock.systemUTC(), Duration.ofMinutes(10), new ChatMetrics());
        order = new DeliveryOrder(new Bus.Listener() {
            @Override
            public void onEvent(RoomEvent event) {
                delivered.add(event);
            }
        }, store, new ChatMetrics());
    }

    @AfterEach
    void close() {
        order.close();
        store.close();
        db.close();
    }

    /** Commits a message as a node would before publishing it. */
    private RoomEvent.Posted commit(String room, String text) throws Exception {
        return store.append(new RoomEvent.Posted(room, "alice", text, null, "c-1", "t-1", 0, java.time.Instant.parse("2026-12-01T10:00:00Z").toEpochMilli(), 0))
                .get(10, TimeUnit.SECONDS).message();
    }

    private List<Long> next(int n) throws InterruptedException {
        List<Long> seqs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            RoomEvent e = delivered.poll(5, TimeUnit.SECONDS);
            if (e == null) {
                break;
            }
            RoomEvent inner = e instanceof RoomEvent.Addressed a ? a.event() : e;
            seqs.add(((RoomEvent.Posted) inner).seq());
        }
        return seqs;
    }

    @Test
    void aSecondJoinerWaitsUntilTheFirstHasStartedTheRoom() throws Exception {
        java.util.concurrent.CountDownLatch reading = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        // the real store, with the first joiner's read of the latest seq held until the test lets it go
        dev.chat.store.MessageStore slow = new dev.chat.store.MessageStore() {
            private final java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean(true);

            @Override
            public java.util.concurrent.CompletableFuture<Appended> append(RoomEvent.Posted message) {
                return store.append(message);
            }

            @Override
            public dev.chat.store.HistorySlice after(String room, long afterSeq, int limit) {
                return store.after(room, afterSeq, limit);
            }

            @Override
            public dev.chat.store.HistorySlice before(String room, long beforeSeq, int limit) {
                return store.before(room, beforeSeq, limit);
            }

            @Override
            public Target target(String room, long seq) {
                return store.target(room, seq);
            }

            @Override
            public long latestSeq(String room) {
                if (first.getAndSet(false)) {
                    reading.countDown();
                    try {
                        release.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return store.latestSeq(room);
            }

            @Override
            public java.util.Map<String, Long> latestSeqs(java.util.Collection<String> rooms) {
                return store.latestSeqs(rooms);
            }
        };
        DeliveryOrder waiting = new DeliveryOrder(event -> { }, slow, new ChatMetrics());
        try {
            Thread first = new Thread(() -> waiting.track("g"));
            first.start();
            assertEquals(true, reading.await(5, TimeUnit.SECONDS));
            Thread second = new Thread(() -> waiting.track("g"));
            second.start();
            second.join(300);
            assertEquals(true, second.isAlive(), "the second joiner must not replay before the room's start is known");
            release.countDown();
            second.join(5000);
            first.join(5000);
            assertEquals(false, second.isAlive());
        } finally {
            waiting.close();
        }
    }

    @Test
    void messagesThatArriveOutOfOrderAreDeliveredInOrderOnce() throws Exception {
        order.track("g");
        RoomEvent.Posted one = commit("g", "1");
        RoomEvent.Posted two = commit("g", "2");
        RoomEvent.Posted three = commit("g", "3");
        order.onEvent(two);
        order.onEvent(three);
        order.onEvent(one);
        order.onEvent(two); // a duplicate
        assertEquals(List.of(1L, 2L, 3L), next(3));
        assertNull(delivered.poll(DeliveryOrder.GAP_WAIT_MILLIS * 3, TimeUnit.MILLISECONDS), "nothing twice");
    }

    @Test
    void aGapTheBusNeverFillsIsReadFromTheStore() throws Exception {
        order.track("g");
        commit("g", "1"); // committed, never published (its node died before publishing)
        commit("g", "2");
        order.onEvent(commit("g", "3"));
        assertEquals(List.of(1L, 2L, 3L), next(3));
    }

    @Test
    void whatWasCommittedBeforeTheFirstMemberJoinedIsTheReplaysNotTheLiveStreams() throws Exception {
        RoomEvent.Posted early = commit("g", "1");
        order.track("g");
        order.onEvent(early); // published late: the joiner's replay has it
        order.onEvent(commit("g", "2"));
        assertEquals(List.of(2L), next(1));
        assertNull(delivered.poll(DeliveryOrder.GAP_WAIT_MILLIS * 3, TimeUnit.MILLISECONDS));
    }

    @Test
    void afterABusOutageEveryTrackedRoomIsFilledFromWhereItStood() throws Exception {
        order.track("a");
        order.track("b");
        order.onEvent(commit("a", "a1"));
        assertEquals(List.of(1L), next(1));
        commit("a", "a2"); // published while this node was cut off
        commit("b", "b1");
        order.resumed();
        List<Long> got = next(2);
        assertEquals(2, got.size());
        assertEquals(List.of(1L, 2L), got.stream().sorted().toList());
    }

    @Test
    void theLastMessagesOfANodeThatDiedBeforePublishingArriveByTheAudit() throws Exception {
        order.track("g");
        commit("g", "1"); // committed, never published, and nothing follows it
        commit("g", "2");
        assertEquals(List.of(1L, 2L), next(2), "within an audit period (" + DeliveryOrder.AUDIT_MILLIS + " ms)");
    }

    @Test
    void aTipFromANodeThatCouldNotPublishFillsTheRoom() throws Exception {
        order.track("g");
        commit("g", "1");
        commit("g", "2");
        order.onEvent(new RoomEvent.Tip("g", 2));
        assertEquals(List.of(1L, 2L), next(2));
    }

    @Test
    void aRoomWithoutLocalMembersIsNotDelivered() throws Exception {
        order.onEvent(commit("nobody-here", "1"));
        assertNull(delivered.poll(DeliveryOrder.GAP_WAIT_MILLIS * 2, TimeUnit.MILLISECONDS));
    }

    @Test
    void directMessagesAreOrderedPerAddressedUserFromTheFirstOneSeen() throws Exception {
        String room = RoomEvent.directRoom("alice", "bob");
        RoomEvent.Posted one = commit(room, "1");
        RoomEvent.Posted two = commit(room, "2");
        RoomEvent.Posted three = commit(room, "3");
        order.onEvent(new RoomEvent.Addressed("bob", one));
        order.onEvent(new RoomEvent.Addressed("bob", three));
        order.onEvent(new RoomEvent.Addressed("alice", one)); // the other user's copy is not a duplicate
        java.util.Map<String, List<Long>> byUser = new java.util.TreeMap<>();
        for (int i = 0; i < 4; i++) {
            RoomEvent e = delivered.poll(5, TimeUnit.SECONDS);
            RoomEvent.Addressed a = (RoomEvent.Addressed) e;
            byUser.computeIfAbsent(a.user(), u -> new ArrayList<>()).add(((RoomEvent.Posted) a.event()).seq());
        }
        assertEquals(java.util.Map.of("alice", List.of(1L), "bob", List.of(1L, 2L, 3L)), byUser,
                "each user's copy in order, once; bob's gap filled from the store");
    }

    /**
     * The single-node bus hands a direct message over once, unaddressed, so its cursor is keyed by
     * the pair alone. It used to outlive both users (one cursor per pair that ever exchanged a
     * message, for the node's life); it must go once neither user of the pair is connected here.
     */
    @Test
    void anUnaddressedDirectCursorIsForgottenOnceNeitherUserOfThePairIsConnectedHere() throws Exception {
        order.onEvent(commit(RoomEvent.directRoom("alice", "bob"), "1"));
        order.onEvent(commit(RoomEvent.directRoom("alice", "carol"), "1"));
        assertEquals(List.of(1L, 1L), next(2));
        assertEquals(2, order.conversations());

        order.untrackUser("alice", user -> user.equals("bob")); // alice's last connection closed; bob is still here
        assertEquals(1, order.conversations(), "the pair with bob still orders bob's messages; carol's is gone");
        order.untrackUser("bob", user -> false);
        assertEquals(0, order.conversations());
    }

    @Test
    void anAddressedDirectCursorIsForgottenWithItsUserOrWhenItsUserIsNotHere() throws Exception {
        RoomEvent.Posted one = commit(RoomEvent.directRoom("alice", "bob"), "1");
        order.onEvent(new RoomEvent.Addressed("alice", one));
        order.onEvent(new RoomEvent.Addressed("bob", one)); // delivered here during a Redis outage, bob elsewhere
        assertEquals(List.of(1L, 1L), next(2));
        assertEquals(2, order.conversations());

        order.untrackUser("alice", user -> false);
        assertEquals(0, order.conversations(), "bob has no connection here: his cursor would never be untracked");
    }
}
