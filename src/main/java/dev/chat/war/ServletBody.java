package dev.chat.war;

import dev.chat.log.LogSampler;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Collects a request's body without holding a container worker while it arrives (Servlet 3.1's
 * non-blocking input): the request goes asynchronous, the container calls back as bytes come in,
 * and {@link Done} runs once, on whichever thread finished: with the whole body, with null as soon
 * as it is larger than the cap (the rest is never read), or with a {@link Failure} when it did not
 * arrive within the timeout or could not be read. The WAR's counterpart of the jar's
 * {@code RequestBody}: a client that announces 100 bytes and sends 3 used to hold a worker for as
 * long as the container's own read timeout (none, on WildFly), so a few such sockets stopped all
 * HTTP.
 *
 * <p>The deadline is our own timer's ({@code timer}, the servlet's): Undertow never fired the async
 * context's timeout for a request whose read listener was waiting for bytes. The context's own
 * timeout is set {@link #BACKSTOP} longer, in case our timer's thread is gone. The reads run on
 * container threads, on Undertow its I/O threads: a whole body is therefore answered on a worker
 * ({@link AsyncContext#start}), since answering may hash a password or wait for the database, and an
 * I/O thread serves many connections, WebSockets included. Refusals (too large, too late, broken)
 * are answered where they are found: they cost nothing. Whoever claims {@code answered} first
 * answers and completes the context; the other does nothing. Reads are under this object's lock so
 * the timeout's answer waits for a read under way.
 */
final class ServletBody implements ReadListener, AsyncListener {
    private static final System.Logger LOG = System.getLogger(ServletBody.class.getName());
    /** How long after our deadline the container's own async timeout is left to end a request. */
    private static final Duration BACKSTOP = Duration.ofSeconds(10);

    enum Failure { TIMED_OUT, UNREADABLE }

    /** What to answer; it writes the response, and the context is completed after it. */
    @FunctionalInterface
    interface Done {
        /** @param body the whole body, or null when it is larger than the cap; null when {@code failure} is set */
        void answer(byte[] body, Failure failure) throws IOException;
    }

    private final AsyncContext async;
    private final ServletInputStream in;
    private final int maxBytes;
    private final Done done;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final byte[] chunk = new byte[4096];
    private final AtomicBoolean answered = new AtomicBoolean();
    private volatile ScheduledFuture<?> deadline;
    /** Any client can send broken bodies or drop its connection under one, at will: sampled. */
    private final LogSampler.Kind unread;
    private final LogSampler.Kind unanswered;

    private ServletBody(AsyncContext async, ServletInputStream in, int maxBytes, Done done, LogSampler logs) {
        this.async = async;
        this.in = in;
        this.maxBytes = maxBytes;
        this.done = done;
        this.unread = logs.kind("request body not read", LOG, Level.DEBUG);
        this.unanswered = logs.kind("answer not written", LOG, Level.DEBUG);
    }

    /** Starts reading; returns at once, before {@code done} has run or after, whichever the bytes allow. */
    static void read(HttpServletRequest request, Duration timeout, ScheduledExecutorService timer, int maxBytes, Done done,
                     LogSampler logs) throws IOException {
        AsyncContext async = request.startAsync();
        async.setTimeout(timeout.plus(BACKSTOP).toMillis());
        ServletBody body = new ServletBody(async, request.getInputStream(), maxBytes, done, logs);
        async.addListener(body);
        body.deadline = timer.schedule(body::timedOut, timeout.toMillis(), TimeUnit.MILLISECONDS);
        body.in.setReadListener(body); // the container calls onDataAvailable (or onAllDataRead) when it can
    }

    @Override
    public void onDataAvailable() throws IOException {
        synchronized (this) {
            if (answered.get()) {
                return;
            }
            // isReady() false means the container calls back when more arrives; never block here
            while (in.isReady()) {
                int n = in.read(chunk);
                if (n < 0) {
                    return; // the end: onAllDataRead follows
                }
                bytes.write(chunk, 0, n);
                if (bytes.size() > maxBytes) {
                    answer(null, null);
                    return;
                }
            }
        }
    }

    @Override
    public void onAllDataRead() {
        synchronized (this) {
            answer(bytes.toByteArray(), null);
        }
    }

    @Override
    public void onError(Throwable t) {
        if (unread.allow()) {
            LOG.log(Level.DEBUG, "request body not read: {0}", t.toString());
        }
        answer(null, Failure.UNREADABLE);
    }

    private void timedOut() {
        synchronized (this) {
            answer(null, Failure.TIMED_OUT);
        }
    }

    @Override
    public void onTimeout(AsyncEvent event) {
        timedOut();
    }

    @Override
    public void onError(AsyncEvent event) {
        onError(event.getThrowable() == null ? new IOException("async error") : event.getThrowable());
    }

    @Override
    public void onComplete(AsyncEvent event) {
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
    }

    private void answer(byte[] body, Failure failure) {
        if (!answered.compareAndSet(false, true)) {
            return;
        }
        ScheduledFuture<?> timeout = deadline;
        if (timeout != null) {
            timeout.cancel(false);
        }
        if (body != null) {
            async.start(() -> finish(body, null));
        } else {
            finish(null, failure);
        }
    }

    private void finish(byte[] body, Failure failure) {
        try {
            done.answer(body, failure);
        } catch (IOException | RuntimeException e) {
            if (unanswered.allow()) {
                LOG.log(Level.DEBUG, "answer not written: {0}", e.toString());
            }
        } finally {
            try {
                async.complete();
            } catch (IllegalStateException alreadyOver) {
                // the container ended the request itself (the client went away)
            }
        }
    }
}
