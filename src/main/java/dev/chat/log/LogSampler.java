package dev.chat.log;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Keeps alike log lines that clients can cause at will (rejected handshakes, failed logins) from
 * flooding the log: of each {@link Kind}, the first {@code linesPerInterval} lines of an interval
 * are logged and the rest only counted, and once the interval is over one line says how many were
 * left out: {@code suppressed 9980 similar "handshake rejected" lines in the last 60 s}. So an
 * attacker's 10 000 attempts cost a few dozen lines, and nobody loses the fact that they happened
 * (metrics count every event, whatever the log shows).
 *
 * <p>Use: {@code if (rejected.allow()) LOG.log(Level.INFO, "handshake rejected ...", ...)}.
 * Bounded: the kinds are made by the code ({@link #kind}), never from a client's text, and each
 * holds four numbers. Cheap: a line that is suppressed costs one short lock and no formatting.
 * Thread-safe. The count of an interval is reported by the first line of the next one, or by
 * {@link #reportSuppressed}, which the node calls on a timer, so a flood that stops is still told.
 */
public final class LogSampler {
    private final int linesPerInterval;
    private final long intervalNanos;
    private final LongSupplier nanoClock;
    private final Map<String, Kind> kinds = new ConcurrentHashMap<>();

    public LogSampler(int linesPerInterval, Duration interval, LongSupplier nanoClock) {
        if (linesPerInterval < 1 || interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("at least one line per positive interval");
        }
        this.linesPerInterval = linesPerInterval;
        this.intervalNanos = interval.toNanos();
        this.nanoClock = nanoClock;
    }

    /**
     * The kind of line named {@code name} (the code's words, never a client's: the kinds stay as
     * few as the code has), logged through {@code logger} at {@code level}; the same kind for the
     * same name, so a caller may look it up per line or keep it.
     */
    public Kind kind(String name, System.Logger logger, Level level) {
        return kinds.computeIfAbsent(name, n -> new Kind(n, logger, level));
    }

    /** Reports the suppressed lines of every kind whose interval is over; the node calls it on a timer. */
    public void reportSuppressed() {
        long now = nanoClock.getAsLong();
        for (Kind kind : kinds.values()) {
            kind.roll(now, false);
        }
    }

    /** One kind of line, and its current interval. */
    public final class Kind {
        private final String name;
        private final System.Logger logger;
        private final Level level;
        private long intervalStart;
        private boolean started;
        private int logged;
        private long suppressed;

        private Kind(String name, System.Logger logger, Level level) {
            this.name = name;
            this.logger = logger;
            this.level = level;
        }

        /**
         * Whether the caller should log its line now (at this kind's level, through its logger, so
         * the line keeps its source): true for the first lines of an interval, false (counted) for
         * the rest, and for every line while the level is off. Client text in the line must be
         * {@link LogText#quote quoted}.
         */
        public boolean allow() {
            return logger.isLoggable(level) && admit(nanoClock.getAsLong());
        }

        private boolean admit(long now) {
            roll(now, true);
            synchronized (this) {
                if (logged < linesPerInterval) {
                    logged++;
                    return true;
                }
                suppressed++;
                return false;
            }
        }

        /** Ends the interval if it is over (reporting what it suppressed); with {@code starting}, a line opens the next. */
        private void roll(long now, boolean starting) {
            long report;
            long seconds;
            synchronized (this) {
                if (started && now - intervalStart < intervalNanos) {
                    return;
                }
                report = suppressed;
                seconds = Math.max(1, Math.round((now - intervalStart) / 1e9));
                if (!started && !starting) {
                    return; // no line yet: nothing to end
                }
                started = starting;
                intervalStart = now;
                logged = 0;
                suppressed = 0;
            }
            if (report > 0) {
                logger.log(level, "suppressed {0} similar \"{1}\" lines in the last {2} s",
                        Long.toString(report), name, Long.toString(seconds));
            }
        }
    }
}
