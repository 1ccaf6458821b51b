package dev.chat.auth;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Counts per key in a fixed window that starts at the key's first count, up to a limit. Memory is
 * bounded: at most {@link #MAX_ENTRIES} keys; when full, expired windows are swept, and if it is
 * still full the oldest-looking entries are dropped, which can only forget counts, never block
 * anyone. Thread-safe; each key's check-and-count is atomic.
 */
final class FixedWindows {
    /** An entry is two longs and a key, so a full table is a few MiB. */
    static final int MAX_ENTRIES = 50_000;

    private final int max;
    private final long windowNanos;
    private final LongSupplier nanoClock;
    private final Map<String, Window> table = new ConcurrentHashMap<>();

    private record Window(long start, int count) { }

    FixedWindows(int max, long windowNanos, LongSupplier nanoClock) {
        this.max = max;
        this.windowNanos = windowNanos;
        this.nanoClock = nanoClock;
    }

    /** Nanoseconds until {@code key} may count again, or 0 when it may now. Counts nothing. */
    long blockedFor(String key) {
        Window w = table.get(key);
        long now = nanoClock.getAsLong();
        if (w == null || w.count() < max || now - w.start() >= windowNanos) {
            return 0;
        }
        return w.start() + windowNanos - now;
    }

    /** Counts one for {@code key} unless it is at its limit; the nanoseconds it must still wait, else 0. */
    long take(String key) {
        long now = nanoClock.getAsLong();
        if (!table.containsKey(key) && table.size() >= MAX_ENTRIES) {
            makeRoom(now);
        }
        long[] wait = {0};
        table.compute(key, (k, w) -> {
            if (w == null || now - w.start() >= windowNanos) {
                return new Window(now, 1);
            }
            if (w.count() >= max) {
                wait[0] = w.start() + windowNanos - now;
                return w;
            }
            return new Window(w.start(), w.count() + 1);
        });
        return wait[0];
    }

    /** Gives one count back (an attempt that turned out not to count). */
    void giveBack(String key) {
        table.computeIfPresent(key, (k, w) -> w.count() <= 1 ? null : new Window(w.start(), w.count() - 1));
    }

    void clear(String key) {
        table.remove(key);
    }

    int size() {
        return table.size();
    }

    private void makeRoom(long now) {
        table.values().removeIf(w -> now - w.start() >= windowNanos);
        Iterator<Window> it = table.values().iterator();
        for (int i = table.size() - MAX_ENTRIES + MAX_ENTRIES / 10; i > 0 && it.hasNext(); i--) {
            it.next();
            it.remove();
        }
    }
}
