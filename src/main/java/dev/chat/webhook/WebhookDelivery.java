package dev.chat.webhook;

import dev.chat.config.WebhookSettings;
import dev.chat.metrics.ChatMetrics;
import dev.chat.store.StoreUnavailableException;
import dev.chat.store.WebhookOutbox;
import java.lang.System.Logger.Level;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The cluster's one webhook sender ({@code chat-webhook}, a thread on every node; the node that holds
 * the outbox's lease sends, the others wait to take over). It takes the oldest events of the outbox
 * in id order, up to {@link #MAX_BATCH} or what {@link #GATHER_MILLIS} gathered, POSTs them signed,
 * and deletes them once the receiver answered 2xx. A timeout, a connection failure, 5xx, 408 or 429 is
 * tried again with the same batch (so a room's order holds) after an exponential backoff with jitter,
 * until its events are {@code CHAT_WEBHOOK_RETRY_FOR} old (then dropped, counted {@code expired}); any
 * other answer drops the batch (counted {@code rejected}). At least once: a node killed after the
 * receiver took a batch but before the delete leaves it to the next holder, who sends the same ids.
 *
 * <p>The receiver is no dependency of the chat: nothing waits on it but this thread, and readiness
 * only shows the backlog ({@link #queued}, {@link #oldestAgeSeconds}).
 */
public final class WebhookDelivery implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(WebhookDelivery.class.getName());
    /** Events in one POST at most (the contract). */
    static final int MAX_BATCH = 100;
    /** How long a batch under {@link #MAX_BATCH} waits for more, from when this node first saw it. */
    static final long GATHER_MILLIS = 1000;
    /** How often an empty outbox is read again. */
    private static final long IDLE_POLL_MILLIS = 200;
    /** How often a node without the lease asks for it. */
    private static final long STANDBY_MILLIS = 2000;
    /** The first retry's delay; each next one doubles, up to {@link #MAX_RETRY_MILLIS}, half of it random. */
    static final long FIRST_RETRY_MILLIS = 1000;
    static final long MAX_RETRY_MILLIS = 5 * 60_000;
    /** How often the backlog's gauges are read (a count of a long backlog is no query for every poll). */
    private static final long BACKLOG_MILLIS = 5000;

    private final WebhookSettings settings;
    private final WebhookOutbox outbox;
    private final String node;
    private final String epoch;
    private final ChatMetrics metrics;
    private final WebhookSignature signature;
    /**
     * Longer than one POST can take twice: a holder renews it once half is left, before each POST and
     * each second of a backoff, so at least one POST's time is always left of it when a POST starts.
     */
    private final long leaseMillis;
    private final HttpClient client;
    private final Thread thread = new Thread(this::run, "chat-webhook");
    private volatile boolean running = true;
    private volatile long queued;
    private volatile long oldestAt;
    private long backlogReadAt;
    /** Until when this node's lease runs, as it last wrote it; 0 when it does not hold it. */
    private long heldUntil;

    public WebhookDelivery(WebhookSettings settings, WebhookOutbox outbox, String node, String epoch, ChatMetrics metrics) {
        this.settings = settings;
        this.outbox = outbox;
        this.node = node;
        this.epoch = epoch;
        this.metrics = metrics;
        this.signature = new WebhookSignature(settings.secret());
        this.leaseMillis = Math.max(15_000, 2 * settings.timeout().toMillis() + 5000);
        this.client = HttpClient.newBuilder().connectTimeout(settings.timeout())
                .followRedirects(HttpClient.Redirect.NEVER).version(HttpClient.Version.HTTP_1_1).build();
        thread.setDaemon(true);
        metrics.webhooks(() -> queued, this::oldestAgeSeconds);
    }

    public void start() {
        thread.start();
    }

    /** Events waiting in the outbox, as last read (every few seconds). */
    public long queued() {
        return queued;
    }

    /** The oldest waiting event's age in seconds, as last read; 0 when none waits. */
    public long oldestAgeSeconds() {
        long at = oldestAt;
        return queued == 0 || at == 0 ? 0 : Math.max(0, (System.currentTimeMillis() - at) / 1000);
    }

    private void run() {
        while (running) {
            try {
                readBacklog();
                if (!holdLease()) {
                    pause(STANDBY_MILLIS);
                    continue;
                }
                List<WebhookOutbox.Queued> batch = gather();
                if (!batch.isEmpty()) {
                    deliver(batch);
                }
            } catch (StoreUnavailableException e) {
                pause(1000); // the database logged its outage; the events wait in it
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "webhook delivery failed; it goes on in a second", e);
                pause(1000);
            }
        }
        Thread.interrupted(); // a close's interrupt: the release below still talks to the database
        try {
            outbox.release(node);
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "the webhook lease was not given up ({0}); it expires", e.toString());
        }
    }

    /**
     * Whether this node holds the lease, renewing it once less than half of it is left: a write every
     * few seconds, not at every idle poll (on SQLite each write waits for the one write lock).
     */
    private boolean holdLease() {
        long now = System.currentTimeMillis();
        if (now < heldUntil - leaseMillis / 2) {
            return true;
        }
        heldUntil = outbox.lease(node, now, leaseMillis) ? now + leaseMillis : 0;
        return heldUntil != 0;
    }

    private void readBacklog() {
        long now = System.currentTimeMillis();
        if (now - backlogReadAt >= BACKLOG_MILLIS) {
            backlogReadAt = now;
            WebhookOutbox.Backlog b = outbox.backlog();
            queued = b.events();
            oldestAt = b.oldestAt();
        }
    }

    /** The next batch: full at once, else what {@link #GATHER_MILLIS} brings; empty after an idle poll. */
    private List<WebhookOutbox.Queued> gather() {
        List<WebhookOutbox.Queued> batch = outbox.next(MAX_BATCH);
        if (batch.isEmpty()) {
            pause(IDLE_POLL_MILLIS);
            return batch;
        }
        long until = System.currentTimeMillis() + GATHER_MILLIS;
        for (long now = System.currentTimeMillis(); running && batch.size() < MAX_BATCH && now < until; now = System.currentTimeMillis()) {
            pause(Math.min(100, until - now));
            batch = outbox.next(MAX_BATCH);
        }
        return batch;
    }

    private enum Outcome { TAKEN, RETRY, REJECTED }

    /** Posts {@code batch} until it is taken, rejected or expired, or this node no longer holds the lease. */
    private void deliver(List<WebhookOutbox.Queued> batch) {
        for (int attempt = 1; running; attempt++) {
            // before every attempt, the first too: after a long outage the oldest events are past
            // CHAT_WEBHOOK_RETRY_FOR already, and they are dropped without a POST, so that setting bounds the outbox
            batch = dropExpired(batch);
            if (batch.isEmpty()) {
                return;
            }
            String body = WebhookCodec.batch(epoch, batch);
            Outcome outcome = post(body, attempt);
            List<Long> ids = batch.stream().map(WebhookOutbox.Queued::id).toList();
            if (outcome == Outcome.TAKEN) {
                outbox.delete(ids);
                metrics.webhookDelivered(ids.size());
                if (attempt > 1) {
                    LOG.log(Level.INFO, "webhook receiver took a batch of {0} events at attempt {1}", ids.size(), attempt);
                }
                return;
            }
            if (outcome == Outcome.REJECTED) {
                outbox.delete(ids);
                metrics.webhookFailed("rejected", ids.size());
                return;
            }
            metrics.webhookRetried();
            if (!backOff(attempt)) {
                return; // another node holds the lease now: it sends this batch
            }
        }
    }

    private List<WebhookOutbox.Queued> dropExpired(List<WebhookOutbox.Queued> batch) {
        long before = System.currentTimeMillis() - settings.retryFor().toMillis();
        List<Long> expired = new ArrayList<>();
        List<WebhookOutbox.Queued> kept = new ArrayList<>();
        for (WebhookOutbox.Queued q : batch) {
            if (q.event().ts() < before) {
                expired.add(q.id());
            } else {
                kept.add(q);
            }
        }
        if (!expired.isEmpty()) {
            outbox.delete(expired);
            metrics.webhookFailed("expired", expired.size());
            LOG.log(Level.WARNING, "dropped {0} webhook events the receiver did not take within CHAT_WEBHOOK_RETRY_FOR ({1} s)",
                    expired.size(), settings.retryFor().toSeconds());
        }
        return kept;
    }

    private Outcome post(String body, int attempt) {
        HttpRequest request = HttpRequest.newBuilder(settings.url()).timeout(settings.timeout())
                .header("Content-Type", "application/json")
                .header("User-Agent", "chat/" + dev.chat.config.Version.current())
                .header(WebhookSignature.HEADER, signature.sign(System.currentTimeMillis() / 1000, body))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        // the request's own timeout ends at the answer's headers; the wait below also bounds its body,
        // which a receiver could trickle for ever while the lease runs out
        CompletableFuture<HttpResponse<Void>> answer = client.sendAsync(request, HttpResponse.BodyHandlers.discarding());
        try {
            int status = answer.get(settings.timeout().toMillis(), TimeUnit.MILLISECONDS).statusCode();
            if (status >= 200 && status < 300) {
                return Outcome.TAKEN;
            }
            boolean retry = status >= 500 || status == 408 || status == 429;
            if (!retry) {
                LOG.log(Level.WARNING, "webhook receiver answered {0}: a batch was dropped (only 2xx takes it; 5xx, 408 and 429 are tried again)",
                        status);
                return Outcome.REJECTED;
            }
            logRetry(attempt, "answered " + status);
        } catch (ExecutionException e) {
            logRetry(attempt, String.valueOf(e.getCause())); // a connection failure or HttpTimeoutException
        } catch (TimeoutException e) {
            answer.cancel(true);
            logRetry(attempt, "took longer than CHAT_WEBHOOK_TIMEOUT to answer");
        } catch (InterruptedException e) {
            answer.cancel(true);
            Thread.currentThread().interrupt();
            running = false;
        }
        return Outcome.RETRY;
    }

    private static void logRetry(int attempt, String why) {
        // the first failure of a streak is news; its retries are not
        LOG.log(attempt == 1 ? Level.WARNING : Level.DEBUG, "webhook receiver {0}; the batch is tried again (attempt {1})", why, attempt);
    }

    /** Waits the backoff of {@code attempt}, renewing the lease each second; false when it was lost. */
    private boolean backOff(int attempt) {
        long delay = Math.min(MAX_RETRY_MILLIS, FIRST_RETRY_MILLIS << Math.min(attempt - 1, 20));
        long wait = delay / 2 + ThreadLocalRandom.current().nextLong(delay / 2 + 1);
        long until = System.currentTimeMillis() + wait;
        for (long now = System.currentTimeMillis(); running && now < until; now = System.currentTimeMillis()) {
            pause(Math.min(1000, until - now));
            readBacklog(); // a long outage is when the backlog matters
            if (!holdLease()) {
                return false;
            }
        }
        return running;
    }

    private void pause(long millis) {
        try {
            Thread.sleep(Math.max(1, millis));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    /** Stops sending and gives the lease up, so another node takes over at once. */
    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(Duration.ofSeconds(5).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
