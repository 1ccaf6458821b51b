package dev.chat.connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.protocol.CloseCode;
import dev.chat.protocol.EncodedFrame;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** One broadcast's sends start together, after its last offer, in a few tasks rather than one per member. */
class SendStartsTest {

    /** Records each send; completes it at once. */
    private static final class RecordingSink implements FrameSink {
        final List<String> sent = new ArrayList<>();
        boolean explode;

        @Override
        public void sendText(String text, Consumer<Throwable> done) {
            if (explode) {
                throw new IllegalStateException("transport gone");
            }
            sent.add(text);
            done.accept(null);
        }

        @Override
        public void sendPing() {
        }

        @Override
        public void close(CloseCode code) {
        }
    }

    private final List<Runnable> tasks = new ArrayList<>();

    private List<RecordingSink> members(int n, List<Outbox> boxes) {
        List<RecordingSink> sinks = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            RecordingSink sink = new RecordingSink();
            sinks.add(sink);
            boxes.add(new Outbox(sink, 1000, 1 << 20, (dropped, behind) -> { }, nanos -> { }, tasks::add));
        }
        return sinks;
    }

    @Test
    void nothingStartsBeforeFlushThenEveryMemberGetsTheFrameFromAFewTasks() {
        List<Outbox> boxes = new ArrayList<>();
        List<RecordingSink> sinks = members(100, boxes);
        SendStarts starts = new SendStarts();
        for (Outbox box : boxes) {
            assertTrue(box.offer(EncodedFrame.of("m1"), starts));
        }
        assertTrue(tasks.isEmpty(), "starts wait for the end of the broadcast");
        starts.flush();
        int cores = Runtime.getRuntime().availableProcessors();
        assertEquals(Math.max(1, Math.min(cores, 100 / SendStarts.MIN_PER_TASK)), tasks.size());
        tasks.forEach(Runnable::run);
        for (RecordingSink sink : sinks) {
            assertEquals(List.of("m1"), sink.sent);
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
    void anOutboxWithASendAlreadyDueAddsNoSecondStart() {
        List<Outbox> boxes = new ArrayList<>();
        List<RecordingSink> sinks = members(1, boxes);
        SendStarts first = new SendStarts();
        boxes.get(0).offer(EncodedFrame.of("a"), first);
        first.flush();
        SendStarts second = new SendStarts();
        boxes.get(0).offer(EncodedFrame.of("b"), second); // the first start has not run yet
        second.flush();
        assertEquals(1, tasks.size());
        tasks.get(0).run();
        assertEquals(List.of("a\nb"), sinks.get(0).sent);
    }

    @Test
    void aMemberWhoseTransportThrowsDoesNotKeepTheOthersWaiting() {
        List<Outbox> boxes = new ArrayList<>();
        List<RecordingSink> sinks = members(3, boxes);
        sinks.get(0).explode = true;
        SendStarts starts = new SendStarts();
        boxes.forEach(box -> box.offer(EncodedFrame.of("m"), starts));
        starts.flush();
        tasks.forEach(Runnable::run);
        assertEquals(List.of("m"), sinks.get(1).sent);
        assertEquals(List.of("m"), sinks.get(2).sent);
    }
}
