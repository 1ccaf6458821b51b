package dev.chat.connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.protocol.CloseCode;
import dev.chat.protocol.EncodedFrame;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The single writer of a connection: one send in flight, coalescing, bounds, draining close. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OutboxTest {

    /**
     * Our own {@link FrameSink} for tests: records what the outbox sends and keeps each send's
     * completion so the test decides when (and how) it finishes.
     */
    static final class ManualSink implements FrameSink {
        final List<String> sent = new ArrayList<>();
        final ArrayDeque<Consumer<Throwable>> pending = new ArrayDeque<>();
        final List<CloseCode> closes = new ArrayList<>();
        int pings;
        int inFlight;
        int maxInFlight;

        @Override
        public void sendText(String text, Consumer<Throwable> done) {
            sent.add(text);
            pending.add(done);
            inFlight++;
            maxInFlight = Math.max(maxInFlight, inFlight);
        }

        @Override
        public void sendPing() {
            pings++;
        }

        @Override
        public void close(CloseCode code) {
            closes.add(code);
        }

        /** Finishes the oldest send successfully (which may start the next one). */
        void complete() {
            finish(null);
        }

        void fail(Throwable failure) {
            finish(failure);
        }

        private void finish(Throwable failure) {
            Consumer<Throwable> done = pending.poll();
            if (done == null) {
                throw new AssertionError("no send in flight");
            }
            inFlight--;
            done.accept(failure);
        }
    }

    private final ManualSink sink = new ManualSink();
    private final AtomicInteger overflows = new AtomicInteger();

    private Outbox outbox(int maxMessages, int maxBytes) {
        return new Outbox(sink, maxMessages, maxBytes, (dropped, behind) -> overflows.incrementAndGet());
    }

    private Outbox roomyOutbox() {
        return outbox(1000, 1 << 20);
    }

    private static EncodedFrame frame(String json) {
        return EncodedFrame.of(json);
    }

    private static int utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    @Test
    void firstOfferIsSentImmediately() {
        Outbox box = roomyOutbox();
        assertTrue(box.offer(frame("A")));
        assertEquals(List.of("A"), sink.sent);
        assertEquals(0, box.queuedMessages());
    }

    @Test
    void offersWhileASendIsInFlightAreQueued() {
        Outbox box = roomyOutbox();
        box.offer(frame("A"));
        assertTrue(box.offer(frame("B")));
        assertTrue(box.offer(frame("C")));
        assertEquals(List.of("A"), sink.sent);
        assertEquals(2, box.queuedMessages());
    }

    @Test
    void completingASendSendsEverythingQueuedAsOneNewlineJoinedText() {
        Outbox box = roomyOutbox();
        box.offer(frame("A"));
        box.offer(frame("B"));
        box.offer(frame("C"));
        box.offer(frame("D"));
        sink.complete();
        assertEquals(List.of("A", "B\nC\nD"), sink.sent);
        assertEquals(0, box.queuedMessages());
    }

    @Test
    void completingTheLastSendLeavesTheLineIdleSoTheNextOfferSendsAtOnce() {
        Outbox box = roomyOutbox();
        box.offer(frame("A"));
        sink.complete();
        box.offer(frame("B"));
        assertEquals(List.of("A", "B"), sink.sent);
    }

    @Test
    void neverTwoSendsInFlight() {
        Outbox box = roomyOutbox();
        for (int round = 0; round < 50; round++) {
            box.offer(frame("x" + round));
            box.offer(frame("y" + round));
            if (round % 3 == 0) {
                sink.complete();
            }
        }
        while (!sink.pending.isEmpty()) {
            sink.complete();
        }
        assertEquals(1, sink.maxInFlight);
    }

    @Test
    void everyMessageFrameOfACompletedSendReportsItsLatencyOthersNone() {
        List<Long> latencies = new ArrayList<>();
        Outbox box = new Outbox(sink, 1000, 1 << 20, (dropped, behind) -> overflows.incrementAndGet(), latencies::add);
        long accepted = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(50);
        box.offer(EncodedFrame.message("M1", accepted));
        box.offer(frame("ack"));
        box.offer(EncodedFrame.message("M2", accepted));
        box.offer(EncodedFrame.message("M3", accepted));
        assertTrue(latencies.isEmpty(), "nothing before the write completes");
        sink.complete(); // M1 written; "ack\nM2\nM3" starts
        assertEquals(1, latencies.size());
        sink.complete();
        assertEquals(List.of("M1", "ack\nM2\nM3"), sink.sent);
        assertEquals(3, latencies.size(), "one per message frame, none for the ack");
        for (long nanos : latencies) {
            assertTrue(nanos >= TimeUnit.MILLISECONDS.toNanos(50), nanos + " ns");
        }
    }

    @Test
    void aFailedSendReportsNoLatency() {
        List<Long> latencies = new ArrayList<>();
        Outbox box = new Outbox(sink, 1000, 1 << 20, (dropped, behind) -> overflows.incrementAndGet(), latencies::add);
        box.offer(EncodedFrame.message("M1", System.nanoTime()));
        sink.fail(new java.io.IOException("reset"));
        assertTrue(latencies.isEmpty());
    }

    @Test
    void overflowByMessageCountCallsOnOverflowOnceAndRefusesLaterOffers() {
        Outbox box = outbox(2, 1 << 20);
        box.offer(frame("A")); // in flight, not queued
        box.offer(frame("B"));
        box.offer(frame("C"));
        assertFalse(box.offer(frame("D")));
        assertEquals(1, overflows.get());
        assertFalse(box.offer(frame("E")));
        assertFalse(box.offer(frame("F")));
        assertEquals(1, overflows.get());
    }

    @Test
    void overflowByMessageCountNeverSendsTheQueuedFrames() {
        Outbox box = outbox(2, 1 << 20);
        box.offer(frame("A"));
        box.offer(frame("B"));
        box.offer(frame("C"));
        box.offer(frame("D"));
        sink.complete();
        assertEquals(List.of("A"), sink.sent);
        assertTrue(sink.pending.isEmpty());
        assertTrue(box.isDone());
    }

    @Test
    void overflowByBytesCallsOnOverflowOnceAndNeverSendsTheQueuedFrames() {
        String forty = "x".repeat(40);
        Outbox box = outbox(1000, 100);
        box.offer(frame(forty)); // in flight
        assertTrue(box.offer(frame(forty)));
        assertTrue(box.offer(frame(forty))); // 80 of 100 bytes queued
        assertFalse(box.offer(frame(forty))); // would be 120
        assertFalse(box.offer(frame("y")));
        sink.complete();
        assertEquals(1, overflows.get());
        assertEquals(List.of(forty), sink.sent);
    }

    /** Offers 1..n as frames "1", "2", ...; the number of offers accepted. */
    private static int offerNumbered(Outbox box, int from, int to) {
        int accepted = 0;
        for (int i = from; i <= to; i++) {
            if (box.offer(frame(Integer.toString(i)))) {
                accepted++;
            }
        }
        return accepted;
    }

    @Test
    void whileTheSendWaitsForAWriterThreadTheOutboxMayGrowToFourTimesItsBoundThenOverflows() {
        List<Runnable> writerQueue = new ArrayList<>(); // a writer pool that has not got to us yet
        List<Boolean> nodeBehind = new ArrayList<>();
        Outbox box = new Outbox(sink, 10, 1 << 20, (dropped, behind) -> nodeBehind.add(behind), nanos -> { }, writerQueue::add);
        assertEquals(40, offerNumbered(box, 1, 40)); // 4 x 10: the node is behind, not the client
        assertEquals(List.of(), nodeBehind);
        assertFalse(box.offer(frame("41")));
        assertEquals(List.of(true), nodeBehind, "told the node was behind");
        writerQueue.forEach(Runnable::run);
        assertTrue(sink.sent.isEmpty(), "an overflowed outbox sends nothing");
    }

    @Test
    void whatWaitedForAWriterThreadLeavesAsOneFrameInOrder() {
        List<Runnable> writerQueue = new ArrayList<>();
        Outbox box = new Outbox(sink, 10, 1 << 20, (dropped, behind) -> overflows.incrementAndGet(), nanos -> { }, writerQueue::add);
        assertEquals(25, offerNumbered(box, 1, 25));
        assertEquals(1, writerQueue.size(), "one start per idle spell");
        writerQueue.get(0).run();
        assertEquals(1, sink.sent.size());
        assertEquals(String.join("\n", java.util.stream.IntStream.rangeClosed(1, 25).mapToObj(Integer::toString).toList()),
                sink.sent.get(0));
        assertEquals(0, overflows.get());
    }

    @Test
    void aBacklogFromWaitingForAWriterKeepsTheLargerBoundUntilItHasDrainedBackUnderTheUsualOne() {
        List<Runnable> writerQueue = new ArrayList<>();
        List<Boolean> nodeBehind = new ArrayList<>();
        Outbox box = new Outbox(sink, 10, 1 << 20, (dropped, behind) -> nodeBehind.add(behind), nanos -> { }, writerQueue::add);
        String big = "x".repeat(4096); // 15 fit in one 64 KiB batch
        for (int i = 0; i < 40; i++) {
            assertTrue(box.offer(frame(big)));
        }
        writerQueue.get(0).run(); // 15 leave, 25 wait behind a send now in the transport
        assertEquals(25, box.queuedMessages());
        assertTrue(box.offer(frame("late")), "a backlog the node caused is not the client's");
        sink.complete(); // 15 more leave: 11 queued
        sink.complete(); // the rest: 0 queued, back under the usual bound
        assertEquals(0, box.queuedMessages());
        assertEquals(10, offerNumbered(box, 1, 10));
        assertFalse(box.offer(frame("11")), "the usual bound applies again behind a send in the transport");
        assertEquals(List.of(false), nodeBehind);
    }

    @Test
    void aSingleFrameOverTheByteBoundOnAnIdleOutboxIsNotBlamedOnTheNode() {
        List<Boolean> nodeBehind = new ArrayList<>();
        Outbox box = new Outbox(sink, 10, 1024, (dropped, behind) -> nodeBehind.add(behind), nanos -> { }, Runnable::run);
        assertFalse(box.offer(frame("x".repeat(2000))));
        assertEquals(List.of(false), nodeBehind);
    }

    @Test
    void aSinkThatThrowsEndsTheOutboxInsteadOfLeavingItSending() {
        FrameSink throwing = new FrameSink() {
            @Override
            public void sendText(String text, Consumer<Throwable> done) {
                throw new IllegalStateException("session closed");
            }

            @Override
            public void sendPing() {
            }

            @Override
            public void close(CloseCode code) {
            }
        };
        Outbox box = new Outbox(throwing, 10, 1 << 20, (dropped, behind) -> overflows.incrementAndGet());
        box.offer(frame("A"));
        assertTrue(box.isDone());
        assertFalse(box.offer(frame("B")));
    }

    @Test
    void onceTheSendIsInTheTransportTheUsualBoundApplies() {
        List<Runnable> writerQueue = new ArrayList<>();
        List<Boolean> nodeBehind = new ArrayList<>();
        Outbox box = new Outbox(sink, 10, 1 << 20, (dropped, behind) -> nodeBehind.add(behind), nanos -> { }, writerQueue::add);
        box.offer(frame("0"));
        writerQueue.get(0).run(); // "0" is now in the transport and the client does not read it
        assertEquals(10, offerNumbered(box, 1, 10));
        assertFalse(box.offer(frame("11")));
        assertEquals(List.of(false), nodeBehind, "told the client was behind");
    }

    @Test
    void queuedBytesAreCountedInUtf8NotChars() {
        String twentyChars = "é".repeat(20); // 40 bytes
        Outbox box = outbox(1000, 100);
        box.offer(frame("A"));
        box.offer(frame(twentyChars));
        box.offer(frame(twentyChars));
        assertFalse(box.offer(frame(twentyChars)));
        assertEquals(1, overflows.get());
    }

    @Test
    void failedSendDiscardsTheQueueAndRefusesLaterOffers() {
        Outbox box = roomyOutbox();
        box.offer(frame("A"));
        box.offer(frame("B"));
        box.offer(frame("C"));
        sink.fail(new java.io.IOException("connection reset"));
        assertEquals(List.of("A"), sink.sent);
        assertEquals(0, box.queuedMessages());
        assertFalse(box.offer(frame("D")));
        assertEquals(List.of("A"), sink.sent);
        assertTrue(box.isDone());
        assertEquals(0, overflows.get());
    }

    @Test
    void closeWhenDrainedWaitsForTheInFlightSendAndTheQueue() {
        Outbox box = roomyOutbox();
        box.offer(frame("A"));
        box.offer(frame("B"));
        box.closeWhenDrained(CloseCode.GOING_AWAY);
        assertEquals(List.of(), sink.closes);
        sink.complete(); // A done, B goes out
        assertEquals(List.of("A", "B"), sink.sent);
        assertEquals(List.of(), sink.closes);
        sink.complete(); // B done: drained
        assertEquals(List.of(CloseCode.GOING_AWAY), sink.closes);
        assertTrue(box.isDone());
    }

    @Test
    void closeWhenDrainedRefusesLaterOffers() {
        Outbox box = roomyOutbox();
        box.offer(frame("A"));
        box.closeWhenDrained(CloseCode.GOING_AWAY);
        assertFalse(box.offer(frame("B")));
        sink.complete();
        assertEquals(List.of("A"), sink.sent);
        assertEquals(List.of(CloseCode.GOING_AWAY), sink.closes);
    }

    @Test
    void closeWhenDrainedClosesImmediatelyWhenIdle() {
        Outbox box = roomyOutbox();
        box.closeWhenDrained(CloseCode.SLOW_CONSUMER);
        assertEquals(List.of(CloseCode.SLOW_CONSUMER), sink.closes);
        assertTrue(box.isDone());
    }

    @Test
    void closeWhenDrainedTwiceClosesOnceWithTheFirstCode() {
        Outbox box = roomyOutbox();
        box.offer(frame("A"));
        box.closeWhenDrained(CloseCode.GOING_AWAY);
        box.closeWhenDrained(CloseCode.IDLE_TIMEOUT);
        sink.complete();
        assertEquals(List.of(CloseCode.GOING_AWAY), sink.closes);
    }

    @Test
    void aPingGoesOutAtOnceWhenNothingIsInFlight() {
        Outbox box = roomyOutbox();
        box.ping();
        assertEquals(1, sink.pings);
    }

    /** A reader of a busy room answers only pongs: unpinged while busy, it was closed as idle (4002). */
    @Test
    void aPingWhileASendIsInFlightGoesOutRightAfterItAndBeforeTheNextSend() {
        Outbox box = roomyOutbox();
        box.offer(frame("A"));
        box.ping();
        box.ping(); // one ping per turn is enough
        assertEquals(0, sink.pings, "never a second writer");
        box.offer(frame("B"));
        sink.complete();
        assertEquals(1, sink.pings, "right after the send in flight");
        assertEquals(List.of("A", "B"), sink.sent, "and the queue goes on after it");
        assertEquals(1, sink.maxInFlight);
        sink.complete();
        assertEquals(1, sink.pings);
    }

    @Test
    void pingLeavesTheLineIdleForTheNextOffer() {
        Outbox box = roomyOutbox();
        box.ping();
        box.offer(frame("A"));
        assertEquals(List.of("A"), sink.sent);
    }

    @Test
    void aClosedOutboxIsNotPinged() {
        Outbox box = roomyOutbox();
        box.discard();
        box.ping();
        assertEquals(0, sink.pings);
    }

    @Test
    void aBatchNeverExceedsMaxBatchBytes() {
        String kb = "é".repeat(500); // 1000 bytes, 500 chars
        Outbox box = outbox(100_000, 1 << 30);
        box.offer(frame("first"));
        int frames = 300; // 300 KB queued: several batches
        for (int i = 0; i < frames; i++) {
            assertTrue(box.offer(frame(kb)));
        }
        while (!sink.pending.isEmpty()) {
            sink.complete();
        }
        int delivered = 0;
        for (String text : sink.sent.subList(1, sink.sent.size())) {
            assertTrue(utf8(text) <= Outbox.MAX_BATCH_BYTES, () -> "batch of " + utf8(text) + " bytes");
            delivered += text.split("\n").length;
        }
        assertEquals(frames, delivered);
        assertTrue(sink.sent.size() >= 1 + (frames * 1001) / Outbox.MAX_BATCH_BYTES, "expected several batches");
    }

    @Test
    void aBatchIsFilledUpToMaxBatchBytesExactly() {
        // 1 + 1 + 65534 = MAX_BATCH_BYTES: the separator counts, and the limit is inclusive
        String one = "a";
        String rest = "b".repeat(Outbox.MAX_BATCH_BYTES - 2);
        Outbox box = outbox(1000, 1 << 20);
        box.offer(frame("first"));
        box.offer(frame(one));
        box.offer(frame(rest));
        box.offer(frame("c"));
        sink.complete();
        assertEquals(2, sink.sent.size());
        assertEquals(Outbox.MAX_BATCH_BYTES, utf8(sink.sent.get(1)));
        sink.complete();
        assertEquals("c", sink.sent.get(2));
    }

    @Test
    void aFrameLargerThanMaxBatchBytesGoesOutAloneAndInOrder() {
        String big = "z".repeat(Outbox.MAX_BATCH_BYTES + 10);
        Outbox box = outbox(1000, 1 << 20);
        box.offer(frame("A"));
        box.offer(frame("B"));
        box.offer(frame(big));
        box.offer(frame("C"));
        box.offer(frame("D"));
        while (!sink.pending.isEmpty()) {
            sink.complete();
        }
        assertEquals(List.of("A", "B", big, "C\nD"), sink.sent);
    }

    @Test
    void concurrentOffersArriveExactlyOnceInPerThreadOrderWithOneSendInFlight() throws Exception {
        int threads = 8;
        int perThread = 10_000;
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger maxInFlight = new AtomicInteger();
        LinkedBlockingQueue<Consumer<Throwable>> completions = new LinkedBlockingQueue<>();
        ConcurrentLinkedQueue<String> sentTexts = new ConcurrentLinkedQueue<>();
        CountDownLatch allFramesSent = new CountDownLatch(threads * perThread);
        AtomicReference<Throwable> failure = new AtomicReference<>();

        // completes every send on its own thread, as an asynchronous WebSocket remote does
        FrameSink asyncSink = new FrameSink() {
            @Override
            public void sendText(String text, Consumer<Throwable> done) {
                maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                sentTexts.add(text);
                for (int i = text.split("\n", -1).length; i > 0; i--) {
                    allFramesSent.countDown();
                }
                completions.add(done);
            }

            @Override
            public void sendPing() {
                failure.compareAndSet(null, new AssertionError("unexpected ping"));
            }

            @Override
            public void close(CloseCode code) {
                failure.compareAndSet(null, new AssertionError("unexpected close " + code));
            }
        };
        Outbox box = new Outbox(asyncSink, 1_000_000, 1 << 30, (dropped, behind) -> overflows.incrementAndGet());

        Thread completer = new Thread(() -> {
            try {
                while (true) {
                    Consumer<Throwable> done = completions.take();
                    inFlight.decrementAndGet();
                    done.accept(null);
                }
            } catch (InterruptedException stop) {
                Thread.currentThread().interrupt();
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        }, "outbox-completer");
        completer.setDaemon(true);
        completer.start();

        CountDownLatch start = new CountDownLatch(1);
        List<Thread> producers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            Thread p = new Thread(() -> {
                try {
                    start.await();
                    for (int n = 0; n < perThread; n++) {
                        if (!box.offer(frame("{\"t\":" + thread + ",\"n\":" + n + "}"))) {
                            throw new AssertionError("offer refused at thread " + thread + " frame " + n);
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "producer-" + t);
            producers.add(p);
            p.start();
        }
        start.countDown();
        for (Thread p : producers) {
            p.join();
        }
        boolean all = allFramesSent.await(30, TimeUnit.SECONDS);
        completer.interrupt();
        completer.join(10_000);

        assertEquals(null, failure.get());
        assertTrue(all, () -> "only " + (threads * perThread - allFramesSent.getCount()) + " frames arrived");
        assertEquals(0, overflows.get());
        assertEquals(1, maxInFlight.get(), "two sends were in flight at once");

        int[] next = new int[threads];
        int total = 0;
        for (String text : sentTexts) {
            for (String line : text.split("\n", -1)) {
                int t = Integer.parseInt(line.substring(line.indexOf("\"t\":") + 4, line.indexOf(',')));
                int n = Integer.parseInt(line.substring(line.indexOf("\"n\":") + 4, line.indexOf('}')));
                assertEquals(next[t], n, "thread " + t + ": frame out of order, lost or duplicated");
                next[t]++;
                total++;
            }
        }
        assertEquals(threads * perThread, total);
        for (int t = 0; t < threads; t++) {
            assertEquals(perThread, next[t], "frames of thread " + t);
        }
    }

    // ---------------------------------------------------------------- slow consumers by progress

    private Outbox graceful(int maxMessages, long graceMillis) {
        return new Outbox(sink, maxMessages, 1 << 20, (dropped, behind) -> overflows.incrementAndGet(), nanos -> { },
                Runnable::run, java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(graceMillis), new OutboxBudget(Long.MAX_VALUE));
    }

    /** A burst to a reader that is slow but reading: it may fall behind to four times its bounds, not more. */
    @Test
    void aClientThatIsReadingMayFallBehindToTheHardCapWithinTheGrace() {
        Outbox box = graceful(10, 10_000);
        assertTrue(box.offer(frame("in-flight")));
        for (int i = 0; i < 4 * 10; i++) {
            assertTrue(box.offer(frame("m" + i)), "frame " + i);
        }
        assertEquals(0, overflows.get());
        assertFalse(box.offer(frame("past the cap")));
        assertEquals(1, overflows.get());
    }

    @Test
    void aClientPastItsBoundsThatCompletesNoWriteForTheGraceIsASlowConsumer() throws Exception {
        Outbox box = graceful(10, 50);
        assertTrue(box.offer(frame("in-flight")));
        for (int i = 0; i < 15; i++) {
            assertTrue(box.offer(frame("m" + i)));
        }
        box.checkProgress();
        assertEquals(0, overflows.get(), "within the grace");
        Thread.sleep(80); // the grace passes with the send still unread
        box.checkProgress();
        assertEquals(1, overflows.get(), "the heartbeat finds it stalled");
        assertFalse(box.offer(frame("after")));
    }

    @Test
    void eachCompletedWriteRestartsTheGrace() throws Exception {
        Outbox box = graceful(10, 50);
        assertTrue(box.offer(frame("in-flight")));
        for (int i = 0; i < 15; i++) {
            assertTrue(box.offer(frame("m" + i)));
        }
        Thread.sleep(80);
        sink.complete(); // the client read it: progress, and the queue goes out as the next send
        for (int i = 0; i < 15; i++) {
            assertTrue(box.offer(frame("more" + i)), "past the bounds again, but it read a moment ago");
        }
        box.checkProgress();
        assertEquals(0, overflows.get());
    }

    /** Many slow readers at once: past their bounds they share one node-wide budget, so the heap stays bounded. */
    @Test
    void pastItsBoundsAnOutboxGrowsOnlyWhileTheNodeIsUnderItsBudget() {
        OutboxBudget budget = new OutboxBudget(29 * frame("m00").bytes()); // what the two hold below, to the frame
        Outbox first = new Outbox(sink, 10, 1 << 20, (dropped, behind) -> overflows.incrementAndGet(), nanos -> { },
                Runnable::run, java.util.concurrent.TimeUnit.SECONDS.toNanos(10), budget);
        Outbox second = new Outbox(new ManualSink(), 10, 1 << 20, (dropped, behind) -> overflows.incrementAndGet(), nanos -> { },
                Runnable::run, java.util.concurrent.TimeUnit.SECONDS.toNanos(10), budget);
        for (int i = 0; i < 20; i++) { // one in flight, 19 queued: 9 past the bounds, all within the budget
            assertTrue(first.offer(frame("m" + (i < 10 ? "0" : "") + i)));
        }
        for (int i = 0; i < 11; i++) { // within its own bounds the budget is never asked
            assertTrue(second.offer(frame("n" + (i < 10 ? "0" : "") + i)), "frame " + i);
        }
        assertFalse(second.offer(frame("n11")), "past its bounds with the node over budget");
        assertEquals(1, overflows.get());
        assertEquals(19 * frame("m00").bytes(), budget.queuedBytes(), "the overflowed outbox gave its bytes back");
    }
}
