package dev.chat.embedded;

import dev.chat.log.LogSampler;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.logging.Filter;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Samples, as {@link LogSampler} does the chat's own, the lines Grizzly logs for what any client
 * can send: a request body with a broken chunked encoding makes Grizzly 4.0 log
 * {@code GRIZZLY0013: Exception during FilterChain execution} with a stack trace, at WARNING, per
 * request (250 of them for 250 such requests), besides answering 400. The first lines of an
 * interval pass; the others are counted, and the chat's log says how many were suppressed.
 *
 * <p>A java.util.logging filter applies to the logger it is set on only, not to its children, so
 * each logger is named. The loggers are the JVM's, so the filter is taken off again at stop (a
 * filter that was there before is kept in front of ours and put back).
 */
final class GrizzlyLogFilter implements AutoCloseable {
    /** The Grizzly loggers that a client's bytes reach, found by {@code LogSamplingTest}. */
    static final List<String> LOGGERS = List.of("org.glassfish.grizzly.filterchain.DefaultFilterChain");
    private static final System.Logger LOG = System.getLogger(GrizzlyLogFilter.class.getName());

    private final List<Installed> installed;

    /** Held strongly: java.util.logging keeps loggers only weakly, and would forget the filter. */
    private record Installed(Logger logger, Filter previous, Filter ours) { }

    GrizzlyLogFilter(LogSampler sampler) {
        this.installed = LOGGERS.stream().map(name -> {
            Logger logger = Logger.getLogger(name);
            Filter previous = logger.getFilter();
            // the kind is the logger's name, never a record's text: as few kinds as loggers
            LogSampler.Kind kind = sampler.kind(name, LOG, Level.WARNING);
            Filter ours = record -> (previous == null || previous.isLoggable(record)) && allowed(kind, record);
            logger.setFilter(ours);
            return new Installed(logger, previous, ours);
        }).toList();
    }

    /** Below WARNING is Grizzly's own detail, off unless an operator turns it on: not sampled. */
    private static boolean allowed(LogSampler.Kind kind, LogRecord record) {
        return record.getLevel().intValue() < java.util.logging.Level.WARNING.intValue() || kind.allow();
    }

    @Override
    public void close() {
        for (Installed i : installed) {
            if (i.logger().getFilter() == i.ours()) {
                i.logger().setFilter(i.previous());
            }
        }
    }
}
