package dev.chat.room;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Messages per room on this node, on top of each connection's own rate: many accounts, each under
 * its limit, would otherwise flood one room together (every member receives every message, and
 * the store keeps them all). A token bucket per room holding two seconds' worth, so a lively
 * moment passes and a sustained flood is cut to the rate.
 *
 * <p>Per node: a cluster of N nodes lets a room have up to N times the rate. Bounded: only rooms
 * sent to in the last two seconds need a bucket (an older one is full again, as good as new), so
 * past {@link #SWEEP_AT} buckets those are dropped; a connection can send only to rooms it joined,
 * which caps the rooms at all.
 */
final class RoomRates {
    static final int SWEEP_AT = 4096;
    private static final long BURST_SECONDS = 2;

    private final double perNano;
    private final double burst;
    private final long refillNanos;
    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

    private static final class Bucket {
        double tokens;
        long last;

        Bucket(double tokens, long last) {
            this.tokens = tokens;
            this.last = last;
        }
    }

    RoomRates(int perSecond) {
        this.perNano = perSecond / 1e9;
        this.burst = (double) perSecond * BURST_SECONDS;
        this.refillNanos = BURST_SECONDS * 1_000_000_000L;
    }

    /** Takes one message's token for {@code room}; false when the room is over its rate. */
    boolean admit(String room, long nowNanos) {
        if (buckets.size() >= SWEEP_AT && !buckets.containsKey(room)) {
            sweep(nowNanos);
        }
        Bucket b = buckets.computeIfAbsent(room, r -> new Bucket(burst, nowNanos));
        synchronized (b) {
            b.tokens = Math.min(burst, b.tokens + (nowNanos - b.last) * perNano);
            b.last = nowNanos;
            if (b.tokens < 1) {
                return false;
            }
            b.tokens -= 1;
            return true;
        }
    }

    private void sweep(long nowNanos) {
        buckets.values().removeIf(b -> {
            synchronized (b) {
                return nowNanos - b.last >= refillNanos;
            }
        });
    }

    int size() {
        return buckets.size();
    }
}
