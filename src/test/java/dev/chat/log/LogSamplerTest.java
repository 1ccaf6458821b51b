package dev.chat.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.System.Logger.Level;
import java.text.MessageFormat;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.ResourceBundle;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Per kind, the first lines of an interval, then a count, reported once the interval is over; on a hand-driven clock. */
@Timeout(30)
class LogSamplerTest {
    private static final long SECOND = 1_000_000_000L;
    private static final Pattern SUMMARY = Pattern.compile("suppressed (\\d+) similar \"([^\"]+)\" lines in the last (\\d+) s");

    private final AtomicLong clock = new AtomicLong(1000 * SECOND);
    private final Lines lines = new Lines(Level.INFO);
    private final LogSampler sampler = new LogSampler(3, Duration.ofSeconds(60), clock::get);

    /** A System.Logger that keeps what it is asked to log, formatted as MessageFormat would. */
    static final class Lines implements System.Logger {
        private final Level threshold;
        final List<String> logged = new ArrayList<>();

        Lines(Level threshold) {
            this.threshold = threshold;
        }

        @Override
        public String getName() {
            return "test";
        }

        @Override
        public boolean isLoggable(Level level) {
            return level.getSeverity() >= threshold.getSeverity();
        }

        @Override
        public synchronized void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
            logged.add(msg);
        }

        @Override
        public synchronized void log(Level level, ResourceBundle bundle, String format, Object... params) {
            logged.add(params == null || params.length == 0 ? format : MessageFormat.format(format, params));
        }

        synchronized List<String> summaries() {
            return logged.stream().filter(l -> SUMMARY.matcher(l).matches()).toList();
        }
    }

    /** What a caller does: logs its line when the kind allows it. */
    private void event(LogSampler.Kind kind, int i) {
        if (kind.allow()) {
            lines.log(Level.INFO, "event {0}", i);
        }
    }

    @Test
    void theFirstLinesOfAnIntervalAreLoggedAndTheRestCountedAndReportedByTheNextIntervalsFirstLine() {
        LogSampler.Kind kind = sampler.kind("handshake rejected", lines, Level.INFO);
        for (int i = 0; i < 10; i++) {
            event(kind, i);
        }
        assertEquals(List.of("event 0", "event 1", "event 2"), lines.logged);
        clock.addAndGet(61 * SECOND);
        event(kind, 10);
        assertEquals(List.of("event 0", "event 1", "event 2",
                "suppressed 7 similar \"handshake rejected\" lines in the last 61 s", "event 10"), lines.logged);
    }

    @Test
    void aFloodThatStopsIsReportedByTheTimerOnceItsIntervalIsOver() {
        LogSampler.Kind kind = sampler.kind("login failed", lines, Level.INFO);
        for (int i = 0; i < 5; i++) {
            event(kind, i);
        }
        sampler.reportSuppressed();
        assertTrue(lines.summaries().isEmpty(), "not before the interval is over");
        clock.addAndGet(60 * SECOND);
        sampler.reportSuppressed();
        assertEquals(List.of("suppressed 2 similar \"login failed\" lines in the last 60 s"), lines.summaries());
        clock.addAndGet(600 * SECOND);
        sampler.reportSuppressed();
        assertEquals(1, lines.summaries().size(), "reported once; a quiet kind says nothing");
        event(kind, 5);
        assertEquals("event 5", lines.logged.get(lines.logged.size() - 1), "a new interval starts with a line");
    }

    @Test
    void kindsAreCountedApartAndOneNameIsOneKind() {
        LogSampler.Kind a = sampler.kind("a", lines, Level.INFO);
        LogSampler.Kind b = sampler.kind("b", lines, Level.INFO);
        assertSame(a, sampler.kind("a", lines, Level.INFO));
        for (int i = 0; i < 5; i++) {
            event(a, i);
        }
        event(b, 100);
        assertEquals(List.of("event 0", "event 1", "event 2", "event 100"), lines.logged);
    }

    @Test
    void linesBelowTheLoggersLevelAreNeitherLoggedNorCounted() {
        LogSampler.Kind debug = sampler.kind("transport error", lines, Level.DEBUG);
        for (int i = 0; i < 10; i++) {
            assertFalse(debug.allow());
        }
        clock.addAndGet(61 * SECOND);
        sampler.reportSuppressed();
        assertTrue(lines.logged.isEmpty(), lines.logged::toString);
    }

    /** Ten thousand events from eight threads: exactly the allowed lines pass, and the summary counts every other one. */
    @Test
    void underConcurrentFloodsEveryEventIsLoggedOrCountedExactlyOnce() throws Exception {
        LogSampler.Kind kind = sampler.kind("flood", lines, Level.INFO);
        AtomicInteger allowed = new AtomicInteger();
        ExecutorService threads = Executors.newFixedThreadPool(8);
        CountDownLatch go = new CountDownLatch(1);
        List<java.util.concurrent.Future<?>> done = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            done.add(threads.submit(() -> {
                go.await();
                for (int i = 0; i < 1250; i++) {
                    if (kind.allow()) {
                        allowed.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        go.countDown();
        for (var f : done) {
            f.get(20, TimeUnit.SECONDS);
        }
        threads.shutdown();
        assertEquals(3, allowed.get());
        clock.addAndGet(60 * SECOND);
        sampler.reportSuppressed();
        Supplier<String> all = lines.logged::toString;
        assertEquals(1, lines.summaries().size(), all);
        Matcher m = SUMMARY.matcher(lines.summaries().get(0));
        assertTrue(m.matches());
        assertEquals(10_000 - 3, Long.parseLong(m.group(1)));
    }
}
