package dev.chat.connection;

/**
 * A token bucket for one connection's inbound frames, plus a strike count: a client that keeps
 * sending after {@link #FLOOD_STRIKES} refusals within {@link #STRIKE_WINDOW_NANOS} is flooding,
 * not bursting. Called from the connection's inbound thread only (the runtime delivers one frame
 * of a session at a time), so it needs no lock.
 */
public final class RateLimiter {
    /** Refusals tolerated in one window before the connection is closed as flooding. */
    public static final int FLOOD_STRIKES = 20;
    public static final long STRIKE_WINDOW_NANOS = 10_000_000_000L;

    /** The three answers to a frame. */
    public enum Verdict { ALLOW, REFUSE, FLOODING }

    private final double perNano;
    private final double burst;
    private double tokens;
    private long last;
    private int strikes;
    private long windowStart;

    public RateLimiter(int perSecond, int burst, long nowNanos) {
        this.perNano = perSecond / 1e9;
        this.burst = burst;
        this.tokens = burst;
        this.last = nowNanos;
        this.windowStart = nowNanos;
    }

    public Verdict acquire(long nowNanos) {
        tokens = Math.min(burst, tokens + (nowNanos - last) * perNano);
        last = nowNanos;
        if (tokens >= 1) {
            tokens -= 1;
            return Verdict.ALLOW;
        }
        if (nowNanos - windowStart > STRIKE_WINDOW_NANOS) {
            windowStart = nowNanos;
            strikes = 0;
        }
        return ++strikes > FLOOD_STRIKES ? Verdict.FLOODING : Verdict.REFUSE;
    }
}
