package dev.chat.connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.protocol.EncodedFrame;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** One broadcast's sends start together, after its last offer, in a few tasks rather than one per member. */
class SendStartsTest {

    /** The writer pool: tasks wait here until the test runs them. */
    private final List<Runnable> tasks = new ArrayList<>();

    private List<OutboxTest.ManualSink> members(int n, List<Outbox> boxes) {
        List<OutboxTest.ManualSink> sinks = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            OutboxTest.ManualSink sink = new OutboxTest.ManualSink();
            sinks.add(sink);
            boxes.add(new Outbox(sink, 1000, 1 << 20, (dropped, behind) -> { }, nanos -> { }, tasks::add));
        }
        return sinks;
    }

    @Test
    void nothingStartsBeforeFlushThenEachMemberGetsExactlyOneSendFromFewerTasksThanMembers() {
        List<Outbox> boxes = new ArrayList<>();
        List<OutboxTest.ManualSink> sinks = members(100, boxes);
        SendStarts starts = new SendStarts();
        for (Outbox box : boxes) {
            assertTrue(box.offer(EncodedFrame.of("m1"), starts));
        }
        assertTrue(tasks.isEmpty(), "starts wait for the end of the broadcast");
        starts.flush();
        assertTrue(tasks.size() >= 1 && tasks.size() <= SendStarts.WRITER_THREADS,
                tasks.size() + " tasks for " + SendStarts.WRITER_THREADS + " writer threads");
        tasks.forEach(Runnable::run);
        for (OutboxTest.ManualSink sink : sinks) {
            assertEquals(List.of("m1"), sink.sent, "started once, not twice, not never");
            assertEquals(1, sink.maxInFlight);
        }
    }

    @Test
    void aSmallBroadcastIsOneTask() {
        List<Outbox> boxes = new ArrayList<>();
        members(SendStarts.MIN_PER_TASK, boxes);
        SendStarts starts = new SendStarts();
        boxes.forEach(box -> box.offer(EncodedFrame.of("m"), starts));
        starts.flush();
        assertEquals(1, tasks.size());
    }

    @Test
    void anOutboxWithASendAlreadyDueOrInFlightAddsNoSecondStart() {
        List<Outbox> boxes = new ArrayList<>();
        List<OutboxTest.ManualSink> sinks = members(1, boxes);
        Outbox box = boxes.get(0);
        SendStarts first = new SendStarts();
        box.offer(EncodedFrame.of("a"), first);
        first.flush();
        SendStarts second = new SendStarts();
        box.offer(EncodedFrame.of("b"), second); // the first start has not run yet
        second.flush();
        assertEquals(1, tasks.size());
        tasks.get(0).run();
        assertEquals(List.of("a\nb"), sinks.get(0).sent);
        SendStarts third = new SendStarts();
        box.offer(EncodedFrame.of("c"), third); // "a\nb" is in the transport
        third.flush();
        assertEquals(1, tasks.size(), "the completion starts the next send, not a task");
        sinks.get(0).complete();
        assertEquals(List.of("a\nb", "c"), sinks.get(0).sent);
        assertEquals(1, sinks.get(0).maxInFlight);
    }

    @Test
    void aMemberWhoseTransportThrowsDoesNotKeepTheOthersWaiting() {
        List<Outbox> boxes = new ArrayList<>();
        OutboxTest.ManualSink ok1 = new OutboxTest.ManualSink();
        OutboxTest.ManualSink ok2 = new OutboxTest.ManualSink();
        FrameSink broken = new FrameSink() {
            @Override
            public void sendText(String text, java.util.function.Consumer<Throwable> done) {
                throw new IllegalStateException("transport gone");
            }

            @Override
            public void sendPing() {
            }

            @Override
            public void close(dev.chat.protocol.CloseCode code) {
            }
        };
        for (FrameSink sink : List.of(broken, ok1, ok2)) {
            boxes.add(new Outbox(sink, 1000, 1 << 20, (dropped, behind) -> { }, nanos -> { }, tasks::add));
        }
        SendStarts starts = new SendStarts();
        boxes.forEach(box -> box.offer(EncodedFrame.of("m"), starts));
        starts.flush();
        tasks.forEach(Runnable::run);
        assertEquals(List.of("m"), ok1.sent);
        assertEquals(List.of("m"), ok2.sent);
        assertTrue(boxes.get(0).isDone(), "the broken one is ended, not left sending");
    }
}
