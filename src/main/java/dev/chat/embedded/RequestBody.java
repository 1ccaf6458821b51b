package dev.chat.embedded;

import dev.chat.log.LogSampler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.ReadHandler;
import org.glassfish.grizzly.http.io.NIOInputStream;
import org.glassfish.grizzly.http.server.Request;
import org.glassfish.grizzly.http.server.Response;
import org.glassfish.grizzly.http.server.TimeoutHandler;

/**
 * Collects a request's body without holding a worker thread while it arrives: the response is
 * suspended, Grizzly calls back as bytes come in, and {@link Done} runs once, on whichever thread
 * finished the body: with the whole body, with null as soon as it is larger than the cap (the rest
 * is never read), or with a {@link Failure} when it did not arrive within the timeout or could not
 * be decoded, after which the connection is closed. The response is resumed after {@link Done}.
 *
 * <p>The timeout runs on Grizzly's timer thread, the reads on worker threads. Whoever claims
 * {@code answered} first answers; the other touches nothing more, since the request is recycled
 * once the response is resumed. The input stream is used only under this object's lock, which the
 * timer takes once after its claim, so a read under way ends before the timer resumes the
 * response. {@link #onError} never takes the lock: Grizzly calls it holding its response lock,
 * which a resume needs, so an answer given under this lock (when {@code notifyAvailable} calls
 * back at once) cannot deadlock with it.
 */
final class RequestBody implements ReadHandler, TimeoutHandler {
    private static final System.Logger LOG = System.getLogger(RequestBody.class.getName());

    enum Failure { TIMED_OUT, UNREADABLE }

    /** What to answer; the response is still suspended while this runs. */
    @FunctionalInterface
    interface Done {
        /** @param body the whole body, or null when it is larger than the cap; null when {@code failure} is set */
        void answer(byte[] body, Failure failure) throws IOException;
    }

    private final Response response;
    private final NIOInputStream in;
    private final Connection<?> connection;
    private final int maxBytes;
    private final Done done;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final AtomicBoolean answered = new AtomicBoolean();
    /** Any client can send broken bodies or drop its connection under one, at will: sampled. */
    private final LogSampler.Kind unread;
    private final LogSampler.Kind unanswered;

    private RequestBody(Request request, Response response, int maxBytes, Done done, LogSampler logs) {
        this.unread = logs.kind("request body not read", LOG, Level.DEBUG);
        this.unanswered = logs.kind("answer not written", LOG, Level.DEBUG);
        this.response = response;
        this.in = request.getNIOInputStream();
        this.connection = request.getContext().getConnection();
        this.maxBytes = maxBytes;
        this.done = done;
    }

    /** Starts reading; returns at once, before {@code done} has run or after, whichever the bytes allow. */
    static void read(Request request, Response response, Duration timeout, int maxBytes, Done done, LogSampler logs) {
        RequestBody body = new RequestBody(request, response, maxBytes, done, logs);
        response.suspend(timeout.toMillis(), TimeUnit.MILLISECONDS, null, body);
        body.pull();
    }

    @Override
    public void onDataAvailable() {
        pull();
    }

    @Override
    public void onAllDataRead() {
        pull();
    }

    /** Takes what has arrived; answers once the body is complete or too large, else waits for more. */
    private void pull() {
        byte[] body = null;
        IOException broken = null;
        synchronized (this) {
            if (answered.get()) {
                return;
            }
            try {
                takeReady();
                if (!complete()) {
                    in.notifyAvailable(this); // calls back at once (under this lock) if more is there already
                    // Grizzly looks for data, then registers the handler, with no lock between: bytes
                    // that land in between wake nobody (a small POST answered 408 after the timeout,
                    // about 1 in 10,000). So look once more; a handler still registered is called for
                    // whatever comes after, and a callback that finds nothing new registers again.
                    if (answered.get()) {
                        return;
                    }
                    takeReady();
                    if (!complete()) {
                        return;
                    }
                }
            } catch (IOException e) {
                broken = e;
            }
            if (broken == null) {
                if (!answered.compareAndSet(false, true)) {
                    return;
                }
                body = bytes.size() > maxBytes ? null : bytes.toByteArray();
            }
        }
        if (broken != null) {
            onError(broken);
        } else {
            finish(body, null);
        }
    }

    /** Reads what has arrived, up to one byte over the cap; never blocks. Under this object's lock. */
    private void takeReady() throws IOException {
        for (int ready; bytes.size() <= maxBytes && (ready = in.readyData()) > 0; ) {
            byte[] chunk = new byte[Math.min(ready, maxBytes + 1 - bytes.size())];
            bytes.write(chunk, 0, in.read(chunk)); // no more than is there: never blocks
        }
    }

    /** Whether there is an answer to give: the whole body, or more than the cap. */
    private boolean complete() {
        return bytes.size() > maxBytes || in.isFinished();
    }

    /**
     * Grizzly's timer: the body is not complete in time, unless it is there after all and no
     * callback said so (the race above, should another window remain): then it is answered as
     * usual, late rather than wrongly. Never lets Grizzly cancel the response itself.
     */
    @Override
    public boolean onTimeout(Response timedOut) {
        if (answered.compareAndSet(false, true)) {
            byte[] body = null;
            synchronized (this) {
                // a read that started before the claim has ended; none starts after it, so the
                // stream is ours (the claim comes first: a read that answers resumes under the lock)
                try {
                    takeReady();
                    if (complete() && bytes.size() <= maxBytes) {
                        body = bytes.toByteArray();
                    }
                } catch (IOException e) {
                    // not there: a timeout like any other
                }
            }
            finish(body, body == null ? Failure.TIMED_OUT : null);
        }
        return false; // answered (now or by the reads): the resume has cleared this timeout
    }

    /** A broken body (bad chunked encoding), or the connection closed under it (then there is nobody to answer). */
    @Override
    public void onError(Throwable t) {
        if (answered.compareAndSet(false, true)) {
            if (unread.allow()) {
                LOG.log(Level.DEBUG, "request body not read: {0}", t.toString());
            }
            if (connection.isOpen() && response.isSuspended()) {
                finish(null, Failure.UNREADABLE);
            }
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
            response.resume();
            if (failure != null) {
                // Grizzly would keep the connection to skip the rest of the body: there is none coming
                connection.closeSilently();
            }
        }
    }
}
