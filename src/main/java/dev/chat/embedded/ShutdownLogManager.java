package dev.chat.embedded;

import java.util.logging.LogManager;

/**
 * The jar's {@link LogManager}: the JDK's own resets logging from a shutdown hook of its own, which
 * races ours, so the stop of a node (the "draining N connections" line, each connection's close,
 * "stopped") was lost after SIGTERM. This one ignores the JDK's reset and is reset by our shutdown
 * hook once the node has stopped. Installed by {@link EmbeddedServer} before any logger exists;
 * where another LogManager is in place already (tests, an embedding application) nothing changes.
 */
public final class ShutdownLogManager extends LogManager {
    /** Set by the JDK when it builds the LogManager from {@code java.util.logging.manager}. */
    private static volatile ShutdownLogManager installed;

    public ShutdownLogManager() {
        installed = this;
    }

    /**
     * Resets as always (reading a configuration file resets first), except when the JDK's shutdown
     * hook asks, while ours may still be logging: then {@link #resetAfterStop} does it later.
     */
    @Override
    public void reset() {
        if (Thread.currentThread().getClass().getName().equals("java.util.logging.LogManager$Cleaner")) {
            return;
        }
        super.reset();
    }

    /** Closes the handlers (flushing them): the last thing the jar's shutdown hook does. */
    static void resetAfterStop() {
        ShutdownLogManager m = installed;
        if (m != null) {
            m.resetForReal();
        }
    }

    private void resetForReal() {
        super.reset();
    }
}
