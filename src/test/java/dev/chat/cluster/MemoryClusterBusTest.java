package dev.chat.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The single-node bus: per-room sequence numbers and in-order, one-at-a-time delivery. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MemoryClusterBusTest {
    private final MemoryClusterBus bus = new MemoryClusterBus();
    private final List<RoomEvent> received = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() {
        bus.close();
    }

    private static RoomEvent.Posted posted(String room, String text) {
        return new RoomEvent.Posted(room, "alice", text, null, "conn-1", "trace-1", 0, "2025-01-02T03:04:05.678Z", 1);
    }

    @Test
    void seqCountsOneTwoThreeWithinARoom() {
        bus.start(received::add);
        assertEquals(1, bus.publish(posted("general", "a")));
        assertEquals(2, bus.publish(posted("general", "b")));
        assertEquals(3, bus.publish(posted("general", "c")));
    }

    @Test
    void eachRoomHasItsOwnSeq() {
        bus.start(received::add);
        assertEquals(1, bus.publish(posted("general", "a")));
        assertEquals(1, bus.publish(posted("random", "b")));
        assertEquals(2, bus.publish(posted("general", "c")));
        assertEquals(2, bus.publish(posted("random", "d")));
    }

    @Test
    void listenerGetsTheMessageWithItsAssignedSeq() {
        bus.start(received::add);
        bus.publish(posted("general", "a"));
        bus.publish(posted("general", "b"));
        assertEquals(List.of(posted("general", "a").withSeq(1), posted("general", "b").withSeq(2)), received);
    }

    @Test
    void seqKeepsCountingAfterTheRoomIsUnsubscribed() {
        bus.start(received::add);
        bus.subscribe("general");
        bus.publish(posted("general", "a"));
        bus.unsubscribe("general");
        bus.subscribe("general");
        assertEquals(2, bus.publish(posted("general", "b")));
    }

    @Test
    void presenceIsDeliveredToTheListener() {
        bus.start(received::add);
        bus.memberJoined("general", "bob");
        bus.memberLeft("general", "bob");
        assertEquals(List.of(new RoomEvent.PresenceChanged("general", "bob", "joined"),
                new RoomEvent.PresenceChanged("general", "bob", "left")), received);
    }

    @Test
    void concurrentPublishersGetEverySeqOnceDeliveredInOrderAndNeverConcurrently() throws Exception {
        int threads = 8;
        int perThread = 5_000;
        int total = threads * perThread;
        AtomicInteger inListener = new AtomicInteger();
        AtomicInteger maxInListener = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long[] delivered = new long[total];
        AtomicInteger count = new AtomicInteger();
        bus.start(event -> {
            maxInListener.accumulateAndGet(inListener.incrementAndGet(), Math::max);
            try {
                RoomEvent.Posted p = (RoomEvent.Posted) event;
                int i = count.getAndIncrement();
                if (i < total) {
                    delivered[i] = p.seq();
                }
            } finally {
                inListener.decrementAndGet();
            }
        });

        Set<Long> returned = ConcurrentHashMap.newKeySet();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> publishers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            Thread p = new Thread(() -> {
                try {
                    start.await();
                    for (int n = 0; n < perThread; n++) {
                        long seq = bus.publish(posted("general", thread + ":" + n));
                        if (!returned.add(seq)) {
                            throw new AssertionError("seq " + seq + " returned twice");
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "publisher-" + t);
            publishers.add(p);
            p.start();
        }
        start.countDown();
        for (Thread p : publishers) {
            p.join();
        }

        // every publish has returned; a publisher drains before returning, so delivery is complete
        assertNull(failure.get());
        assertEquals(total, returned.size());
        assertEquals(total, count.get(), "deliveries");
        assertEquals(1, maxInListener.get(), "listener called concurrently for one room");
        for (int i = 0; i < total; i++) {
            assertEquals(i + 1, delivered[i], "delivery " + i);
        }
        for (long seq = 1; seq <= total; seq++) {
            assertTrue(returned.contains(seq), "seq " + seq + " never returned");
        }
    }
}
