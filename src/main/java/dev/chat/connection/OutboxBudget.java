package dev.chat.connection;

import java.util.concurrent.atomic.LongAdder;

/**
 * The bytes all outboxes of a node may hold together. Within its own bounds a connection never
 * asks; past them (a reader a burst outran, see {@link Outbox}) it may go on queuing only while the
 * node as a whole is under this budget, so many slow readers at once cost connections, not the heap.
 */
public final class OutboxBudget {
    private final LongAdder queued = new LongAdder(); // every outbox adds and takes: a counter that does not contend
    private final long limitBytes;

    public OutboxBudget(long limitBytes) {
        this.limitBytes = limitBytes;
    }

    /** A quarter of the heap: the rest is the node's own working set. */
    public static OutboxBudget ofHeap() {
        return new OutboxBudget(Runtime.getRuntime().maxMemory() / 4);
    }

    void add(long bytes) {
        queued.add(bytes);
    }

    /** Whether {@code more} bytes past a connection's bounds still fit; summed only then, which is rare. */
    boolean allows(long more) {
        return queued.sum() + more <= limitBytes;
    }

    public long queuedBytes() {
        return queued.sum();
    }
}
