package dev.chat.connection;

import dev.chat.protocol.CloseCode;
import dev.chat.protocol.EncodedFrame;
import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.Arrays;
import java.util.function.LongConsumer;

/**
 * The single writer of one connection: a bounded queue with at most one send in flight. The send's
 * completion starts the next one, which carries everything queued meanwhile as one frame, the
 * objects separated by {@code \n} (protocol v1 allows it; it is what keeps fan-out cheap). Whoever
 * enqueues never waits on the network: a client that lets {@link #maxMessages} or {@link #maxBytes}
 * pile up behind a send it does not read is closed as a slow consumer instead (while the send only
 * waits for a writer thread, see {@link #WRITER_LAG_FACTOR}).
 *
 * <p>Each send's completion reports, for every {@code message} frame it carried, the time since the
 * message was accepted ({@link EncodedFrame#acceptedNanos}): the delivery latency.
 *
 * <p>The lock guards only the queue and flags; no I/O runs under it, nor the latency reports.
 */
public final class Outbox {
    /** A coalesced frame stops growing here (a single larger object still goes out alone). */
    static final int MAX_BATCH_BYTES = 64 * 1024;

    private final FrameSink sink;
    private final int maxMessages;
    private final int maxBytes;
    private final OverflowListener onOverflow;
    private final LongConsumer onDelivered;
    /** Runs the first send after an idle spell (see the constructor). */
    private final Executor starter;
    /** Takes what is queued when it runs, so frames offered until then leave in the same send. */
    private final Runnable start = () -> onSent(null, null);

    private final ArrayDeque<EncodedFrame> queue = new ArrayDeque<>();
    private int queuedBytes;
    private boolean inFlight;
    /** A send is in the transport (not merely due on the writer pool): what is queued now waits on the client. */
    private boolean inTransport;
    /**
     * Queued past the usual bounds while the send waited for a writer thread: the larger bound
     * holds until the backlog has drained back under the usual one (a 64 KiB batch at a time).
     */
    private boolean lagging;
    private boolean closed;
    /**
     * When the line last made progress: a send completed, or a send began after the line was free.
     * A client past its bounds that made progress within {@link #graceNanos} is reading, only
     * slowly: it may queue up to {@link #HARD_CAP_FACTOR} times the bounds before it is closed.
     */
    private volatile long progressNanos = System.nanoTime();
    /** When a send last completed: the client took the bytes, which is as good a sign of life as a pong. */
    private volatile long wroteNanos = System.nanoTime();
    private final long graceNanos;
    /** What all outboxes of the node hold; past its bounds, this one may grow only while the node is under it. */
    private final OutboxBudget budget;
    /** A heartbeat came while a send was in flight: the ping goes out right after it. */
    private boolean pingDue;
    private CloseCode closeWhenDrained;

    /** Told once when an outbox overflows; the connection is then closed as a slow consumer. */
    @FunctionalInterface
    public interface OverflowListener {
        /**
         * @param dropped    frames queued and dropped, the refused one included
         * @param nodeBehind true when the queued frames were waiting for this node's writer threads,
         *     not for a send in the network: the node, not the client, fell behind (for the log)
         */
        void overflowed(int dropped, boolean nodeBehind);
    }

    /** Text for one send, and the accept times of the messages in it (null when there are none). */
    private record Batch(String text, long[] accepted) { }

    /**
     * @param onOverflow  runs once, outside the lock, when the bounds are exceeded
     * @param onDelivered runs outside the lock once per message frame written, with its latency in nanoseconds
     */
    public Outbox(FrameSink sink, int maxMessages, int maxBytes, OverflowListener onOverflow, LongConsumer onDelivered) {
        this(sink, maxMessages, maxBytes, onOverflow, onDelivered, Runnable::run, 0, new OutboxBudget(Long.MAX_VALUE));
    }

    /** Without a grace: past its bounds a client is a slow consumer at once, reading or not. */
    public Outbox(FrameSink sink, int maxMessages, int maxBytes, OverflowListener onOverflow, LongConsumer onDelivered,
                  Executor starter) {
        this(sink, maxMessages, maxBytes, onOverflow, onDelivered, starter, 0, new OutboxBudget(Long.MAX_VALUE));
    }

    /**
     * @param starter runs the first send after an idle spell. The node's writer pool lets the thread
     *     that fans a message out go on queuing while that send waits to start, so a burst leaves as
     *     a few coalesced frames instead of one send per message per member (which is what bounded
     *     fan-out and chat latency before: the benchmark section of the README has the numbers);
     *     {@code Runnable::run} sends on the caller's thread.
     * @param graceNanos how long a client past its bounds may go without completing a write before it is a slow consumer
     * @param budget     the node's, shared by all its outboxes
     */
    public Outbox(FrameSink sink, int maxMessages, int maxBytes, OverflowListener onOverflow, LongConsumer onDelivered,
                  Executor starter, long graceNanos, OutboxBudget budget) {
        this.starter = starter;
        this.graceNanos = graceNanos;
        this.budget = budget;
        this.sink = sink;
        this.maxMessages = maxMessages;
        this.maxBytes = maxBytes;
        this.onOverflow = onOverflow;
        this.onDelivered = onDelivered;
    }

    /** An outbox that does not measure delivery latency. */
    public Outbox(FrameSink sink, int maxMessages, int maxBytes, OverflowListener onOverflow) {
        this(sink, maxMessages, maxBytes, onOverflow, nanos -> { });
    }

    /** Queues a frame and starts a send if none is in flight; false when the outbox is closed or overflowed. */
    public boolean offer(EncodedFrame frame) {
        return offer(frame, maxBytes, null);
    }

    /** The same, but a send that is due joins {@code starts}, which the broadcaster flushes after its last offer. */
    public boolean offer(EncodedFrame frame, SendStarts starts) {
        return offer(frame, maxBytes, starts);
    }

    /**
     * A history replay may hold up to {@link #REPLAY_FACTOR} times the usual bytes: a whole gap of
     * history is sent at once, while only live traffic that piles up shows a slow consumer.
     */
    public boolean offerReplay(EncodedFrame frame) {
        return offer(frame, maxBytes * REPLAY_FACTOR, null);
    }

    static final int REPLAY_FACTOR = 4;

    /**
     * How far past its bounds an outbox may grow while its next send only waits for this node's
     * writer threads: the client is not behind then, the node is (a burst, or a node short of CPU;
     * the benchmark's two nodes on two cores closed healthy members as slow consumers before).
     * Still bounded, so a node that stays behind sheds its connections instead of its heap.
     */
    static final int WRITER_LAG_FACTOR = 4;

    /**
     * How far past its bounds a client that is reading may fall behind (a burst to a slow but live
     * reader); past it, or past the bounds with no progress for the grace, it is a slow consumer.
     */
    static final int HARD_CAP_FACTOR = 4;

    /** True when queuing {@code frame} would make this a slow consumer. Caller holds the lock. */
    private boolean overBounds(EncodedFrame frame, long byteBound) {
        long messageBound = maxMessages;
        if (waitingForWriter() || lagging) {
            messageBound *= WRITER_LAG_FACTOR;
            byteBound = Math.max(byteBound, (long) maxBytes * WRITER_LAG_FACTOR);
        }
        long bytes = queuedBytes + (long) frame.bytes();
        if (queue.size() < messageBound && bytes <= byteBound) {
            return false;
        }
        return !reading() || queue.size() >= messageBound * HARD_CAP_FACTOR || bytes > byteBound * HARD_CAP_FACTOR
                || !budget.allows(frame.bytes());
    }

    /** The line made progress within the grace. Caller holds the lock. */
    private boolean reading() {
        return graceNanos > 0 && System.nanoTime() - progressNanos <= graceNanos;
    }

    /**
     * From the heartbeat: an outbox past its bounds whose client completed no write within the grace
     * is a slow consumer now, even if nothing more is offered to it.
     */
    public void checkProgress() {
        int dropped;
        synchronized (this) {
            if (closed || (queue.size() <= maxMessages && queuedBytes <= maxBytes) || reading() || waitingForWriter()) {
                return;
            }
            dropped = queue.size();
            discardLocked();
        }
        onOverflow.overflowed(dropped, false);
    }

    /** A send is due but not yet in the transport: the node, not the client, is behind. Caller holds the lock. */
    private boolean waitingForWriter() {
        return inFlight && !inTransport;
    }

    private boolean offer(EncodedFrame frame, long byteBound, SendStarts starts) {
        int dropped = -1;
        boolean nodeBehind = false;
        boolean startSend = false;
        synchronized (this) {
            if (closed || closeWhenDrained != null) {
                return false;
            }
            if (overBounds(frame, byteBound)) {
                dropped = queue.size() + 1;
                nodeBehind = waitingForWriter();
                discardLocked();
            } else {
                queue.add(frame);
                queuedBytes += frame.bytes();
                budget.add(frame.bytes());
                if (waitingForWriter() && (queue.size() > maxMessages || queuedBytes > maxBytes)) {
                    lagging = true;
                }
                if (!inFlight) {
                    inFlight = true; // the send is ours to start; it takes the batch when it runs
                    progressNanos = System.nanoTime(); // the wait for the client starts now, not at its last write
                    startSend = true;
                }
            }
        }
        if (dropped >= 0) {
            onOverflow.overflowed(dropped, nodeBehind);
            return false;
        }
        if (startSend && starts != null) {
            starts.add(starter, start);
        } else if (startSend) {
            try {
                starter.execute(start);
            } catch (RejectedExecutionException e) {
                start.run(); // the node is stopping and its writers with it
            }
        }
        return true;
    }

    /**
     * Pings the client: now if the line is idle, else right after the send in flight (never a second
     * writer). A busy line is pinged too: a client that only reads answers nothing but pongs, and
     * unpinged it looked idle and was closed with 4002 while reading every message.
     */
    public void ping() {
        synchronized (this) {
            if (closed) {
                return;
            }
            pingDue = true;
            if (inFlight) {
                return; // the send in flight sends it when it completes
            }
            inFlight = true; // the line is ours: the turn below sends the ping
            progressNanos = System.nanoTime();
        }
        onSent(null, null);
    }

    /** Lets what is queued go out, then closes with {@code code}; later offers are refused. */
    public void closeWhenDrained(CloseCode code) {
        boolean now;
        synchronized (this) {
            if (closed || closeWhenDrained != null) {
                return;
            }
            closeWhenDrained = code;
            now = !inFlight && queue.isEmpty();
            if (now) {
                closed = true;
            }
        }
        if (now) {
            sink.close(code);
        }
    }

    /** Drops what is queued; nothing more will be sent. */
    public synchronized void discard() {
        discardLocked();
    }

    private void discardLocked() {
        closed = true;
        queue.clear();
        budget.add(-queuedBytes);
        queuedBytes = 0;
    }

    /** {@link System#nanoTime} of the last completed send. */
    public long lastWriteNanos() {
        return wroteNanos;
    }

    /** True once the outbox is closed and nothing is in flight any more. */
    public synchronized boolean isDone() {
        return closed && !inFlight;
    }

    public synchronized int queuedMessages() {
        return queue.size();
    }

    private void send(Batch batch) {
        try {
            sink.sendText(batch.text(), failure -> {
                if (failure == null) {
                    long now = System.nanoTime();
                    progressNanos = now;
                    wroteNanos = now;
                }
                onSent(failure, batch.accepted());
            });
        } catch (RuntimeException e) {
            onSent(e, null); // a sink that throws has not called back: end this outbox rather than leave it sending forever
        }
    }

    /** The completion of a send (or ping): reports the latencies of its messages, then starts the next send. */
    private void onSent(Throwable failure, long[] accepted) {
        if (failure == null && accepted != null) {
            long now = System.nanoTime();
            for (long a : accepted) {
                onDelivered.accept(now - a);
            }
        }
        Batch batch;
        CloseCode close = null;
        boolean ping = false;
        synchronized (this) {
            inTransport = false;
            if (failure != null) {
                discardLocked();
            }
            if (!closed && pingDue) {
                pingDue = false;
                inTransport = true; // the ping is this turn's send; the next turn takes the queue
                ping = true;
            }
            batch = closed || ping ? null : takeBatch();
            if (lagging && queue.size() <= maxMessages && queuedBytes <= maxBytes) {
                lagging = false;
            }
            if (batch != null) {
                inTransport = true;
            } else if (!ping) {
                inFlight = false;
                if (!closed && closeWhenDrained != null) {
                    closed = true;
                    close = closeWhenDrained;
                }
            }
        }
        if (ping) {
            try {
                sink.sendPing();
            } finally {
                onSent(null, null);
            }
        } else if (batch != null) {
            send(batch);
        } else if (close != null) {
            sink.close(close);
        }
    }

    /** Takes queued frames up to {@link #MAX_BATCH_BYTES} as one text; marks a send in flight. Caller holds the lock. */
    private Batch takeBatch() {
        EncodedFrame first = queue.poll();
        if (first == null) {
            return null;
        }
        inFlight = true;
        queuedBytes -= first.bytes();
        budget.add(-first.bytes());
        if (queue.isEmpty() || first.bytes() >= MAX_BATCH_BYTES) {
            return new Batch(first.json(), first.acceptedNanos() == 0 ? null : new long[] {first.acceptedNanos()});
        }
        StringBuilder sb = new StringBuilder(Math.min(MAX_BATCH_BYTES, first.bytes() + queuedBytes + queue.size()));
        sb.append(first.json());
        long[] accepted = new long[Math.min(queue.size() + 1, 64)];
        int messages = 0;
        if (first.acceptedNanos() != 0) {
            accepted[messages++] = first.acceptedNanos();
        }
        int size = first.bytes();
        EncodedFrame next;
        while ((next = queue.peek()) != null && size + 1 + next.bytes() <= MAX_BATCH_BYTES) {
            queue.poll();
            queuedBytes -= next.bytes();
            budget.add(-next.bytes());
            size += 1 + next.bytes();
            sb.append('\n').append(next.json());
            if (next.acceptedNanos() != 0) {
                if (messages == accepted.length) {
                    accepted = Arrays.copyOf(accepted, messages * 2);
                }
                accepted[messages++] = next.acceptedNanos();
            }
        }
        return new Batch(sb.toString(), messages == 0 ? null : Arrays.copyOf(accepted, messages));
    }
}
