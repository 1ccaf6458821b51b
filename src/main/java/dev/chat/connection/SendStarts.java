package dev.chat.connection;

import java.lang.System.Logger.Level;
import java.util.Arrays;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * The sends one broadcast has to start, collected while the broadcaster queues its frame on every
 * member's outbox and then handed to the writer pool as one task per writer thread, instead of one
 * task per idle member: those hand-offs (a queue lock and a thread wake-up each) were the largest
 * cost of ours left in the chat profile (README "Benchmarks"). Each outbox still has at most one
 * send in flight; only the starting is grouped. Used by one thread, for one broadcast.
 */
public final class SendStarts {
    private static final System.Logger LOG = System.getLogger(SendStarts.class.getName());
    /** The size of a node's writer pool ({@code chat-write}, one thread per core), and the most tasks a broadcast makes. */
    public static final int WRITER_THREADS = Runtime.getRuntime().availableProcessors();
    /** Fewer starts than this per task are not split: a hand-off costs about as much as a few sends. */
    static final int MIN_PER_TASK = 16;

    private Executor starter;
    private Runnable[] starts = new Runnable[16];
    private int size;

    /**
     * Called by an outbox whose send is now due. All outboxes of a node start their sends on the
     * node's one writer pool, so the first one's is used for the whole broadcast.
     */
    void add(Executor outboxStarter, Runnable start) {
        if (starter == null) {
            starter = outboxStarter;
        }
        if (size == starts.length) {
            starts = Arrays.copyOf(starts, size * 2);
        }
        starts[size++] = start;
    }

    /** Starts the collected sends, spread over the writer threads; call once, after the broadcast's last offer. */
    public void flush() {
        int n = size;
        if (n == 0) {
            return;
        }
        Runnable[] all = starts;
        starts = new Runnable[16];
        size = 0;
        int tasks = Math.max(1, Math.min(WRITER_THREADS, n / MIN_PER_TASK));
        for (int t = 0; t < tasks; t++) {
            int from = (int) ((long) n * t / tasks);
            int to = (int) ((long) n * (t + 1) / tasks);
            execute(starter, () -> runAll(all, from, to));
        }
    }

    private static void runAll(Runnable[] all, int from, int to) {
        for (int i = from; i < to; i++) {
            try {
                all[i].run();
            } catch (RuntimeException e) {
                // one member's failure must not leave the others' outboxes waiting for a send forever
                LOG.log(Level.WARNING, "starting a send failed", e);
            }
        }
    }

    private static void execute(Executor executor, Runnable task) {
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            task.run(); // the node is stopping and its writers with it
        }
    }
}
