package dev.chat.metrics;

import dev.chat.protocol.CloseCode;
import dev.chat.protocol.ProtocolCodec;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The node's counters, gauges and the delivery-latency histogram, in one Micrometer registry
 * rendered by {@code GET /metrics} in the Prometheus text format. Hot paths hold their
 * {@link Counter} (a striped adder) or {@link Timer} instead of looking it up per event. Every
 * metric is listed in the README.
 */
public final class ChatMetrics implements AutoCloseable {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final Map<String, Counter> framesIn = new ConcurrentHashMap<>();
    private final Map<String, Counter> framesOut = new ConcurrentHashMap<>();
    private final Map<String, Counter> limitHits = new ConcurrentHashMap<>();
    private final Map<Integer, Counter> disconnects = new ConcurrentHashMap<>();
    private final Map<Integer, Counter> handshakeRejections = new ConcurrentHashMap<>();
    private final Counter connects;
    private final Counter rateLimited;
    private final Counter slowConsumers;
    private final Counter droppedFrames;
    private final Counter redisErrors;
    private final Counter redisOutages;
    private final Counter redisReconnects;
    private final Counter databaseErrors;
    private final Counter databaseOutages;
    private final Counter gapFills;
    private final Counter loginFailures;
    private final io.micrometer.core.instrument.DistributionSummary commitBatch;
    private final Timer deliveryLatency;
    private final Timer commitDuration;

    public ChatMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        connects = Counter.builder("chat.connects").description("Connections admitted").register(registry);
        rateLimited = Counter.builder("chat.rate.limited").description("Frames dropped by the rate limit").register(registry);
        slowConsumers = Counter.builder("chat.slow.consumers").description("Connections closed because their outbox overflowed").register(registry);
        droppedFrames = Counter.builder("chat.outbox.dropped").description("Frames discarded from overflowing outboxes").register(registry);
        redisErrors = Counter.builder("chat.redis.errors").description("Redis commands or connections that failed").register(registry);
        redisOutages = Counter.builder("chat.redis.outages").description("Times Redis became unreachable").register(registry);
        redisReconnects = Counter.builder("chat.redis.reconnects").description("Times the Redis subscriber (re)connected").register(registry);
        databaseErrors = Counter.builder("chat.database.errors").description("Database operations that failed").register(registry);
        databaseOutages = Counter.builder("chat.database.outages").description("Times the database became unreachable").register(registry);
        loginFailures = Counter.builder("chat.login.failures").description("Logins refused for a wrong password or an unknown user (401)").register(registry);
        gapFills = Counter.builder("chat.gap.fills").description("Messages this node delivered from the store because the bus had not brought them").register(registry);
        commitBatch = io.micrometer.core.instrument.DistributionSummary.builder("chat.commit.batch")
                .description("Messages per database commit (group commit)").register(registry);
        commitDuration = Timer.builder("chat.commit.duration")
                .description("From the writer taking a batch to its commit's end: what the store adds to a send's latency")
                .serviceLevelObjectives(Duration.ofNanos(250_000), Duration.ofNanos(500_000), millis(1), millis(2), millis(5),
                        millis(10), millis(25), millis(100))
                .register(registry);
        deliveryLatency = Timer.builder("chat.delivery.latency")
                .description("From accepting a message to the completed write of each frame that carried it to a client")
                .publishPercentileHistogram()
                .serviceLevelObjectives(millis(1), millis(2), millis(5), millis(10), millis(25), millis(50),
                        millis(100), millis(250), millis(500), millis(1000))
                .minimumExpectedValue(millis(1))
                .maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);
        registerAtZero();
    }

    private static Duration millis(long ms) {
        return Duration.ofMillis(ms);
    }

    /** Registers a gauge read at scrape time. */
    public void gauge(String name, String description, Supplier<Number> value) {
        Gauge.builder(name, value).description(description).register(registry);
    }

    public void connected() {
        connects.increment();
    }

    /**
     * The close codes a label may name: the protocol's and RFC 6455's (1000-1015). A client may close
     * with any code from 3000 to 4999; as labels those would be up to 2 000 series, so they count as
     * {@code other}.
     */
    private static boolean labelled(int code) {
        return code >= 1000 && code <= 1015 || java.util.Arrays.stream(CloseCode.values()).anyMatch(c -> c.code() == code);
    }

    private static final int OTHER = -1;

    public void disconnected(int code) {
        disconnectCounter(labelled(code) ? code : OTHER).increment();
    }

    public void handshakeRejected(int code) {
        handshakeCounter(labelled(code) ? code : OTHER).increment();
    }

    private Counter disconnectCounter(int code) {
        return byCode(disconnects, "chat.disconnects", "Connections ended, by close code", code);
    }

    private Counter handshakeCounter(int code) {
        return byCode(handshakeRejections, "chat.handshakes.rejected", "Handshakes refused, by close code", code);
    }

    private Counter byCode(Map<Integer, Counter> counters, String name, String description, int code) {
        return counters.computeIfAbsent(code, c -> Counter.builder(name)
                .description(description).tag("code", c == OTHER ? "other" : Integer.toString(c)).register(registry));
    }

    public void frameIn(String type) {
        frameCounter(type).increment();
    }

    private Counter frameCounter(String type) {
        return framesIn.computeIfAbsent(type, t -> Counter.builder("chat.frames.in")
                .description("Client frames received, by type").tag("type", t).register(registry));
    }

    /**
     * Labelled counters exist at 0 from the start (as Prometheus advises: a series that appears only
     * on first use breaks {@code rate()} and alerts on absence): each client frame type, each of
     * the protocol's close codes for disconnects and refused handshakes, and each limit.
     */
    private void registerAtZero() {
        ProtocolCodec.CLIENT_TYPES.forEach(this::frameCounter);
        for (CloseCode c : CloseCode.values()) {
            disconnectCounter(c.code());
            handshakeCounter(c.code());
        }
        disconnectCounter(OTHER);
        handshakeCounter(OTHER);
        LIMITS.forEach(this::limitCounter);
    }

    /** {@code count} frames of one type queued for clients (a broadcast counts one per receiver). */
    public void framesOut(String type, int count) {
        framesOut.computeIfAbsent(type, t -> Counter.builder("chat.frames.out")
                .description("Server frames queued for clients, by type").tag("type", t).register(registry)).increment(count);
    }

    /** A limit refused something: {@code limit} is the error or close code's name. */
    /** A login refused with 401 (a throttled one is a {@link #limitHit}). */
    public void loginFailed() {
        loginFailures.increment();
    }

    private final Map<String, Counter> apiRequests = new ConcurrentHashMap<>();

    /**
     * One server API request: {@code key} the key's name (unknown ones count as {@code none}, so a
     * guesser cannot add series), {@code status} its HTTP status class ({@code 2xx}, {@code 4xx}, {@code 5xx}).
     */
    public void apiRequest(String key, int status) {
        String k = key == null ? "none" : key;
        String s = (status / 100) + "xx";
        apiRequests.computeIfAbsent(k + ' ' + s, x -> Counter.builder("chat.api.requests")
                .description("Server API requests by key name and status class").tag("key", k).tag("status", s)
                .register(registry)).increment();
    }

    private final Map<String, Counter> webhookFailures = new ConcurrentHashMap<>();
    private volatile Counter webhookDelivered;
    private volatile Counter webhookRetries;

    /**
     * Webhooks are on: their counters exist from now (at 0), and {@code queued} and {@code ageSeconds}
     * report the outbox's backlog as the delivery last saw it.
     */
    public void webhooks(Supplier<Number> queued, Supplier<Number> ageSeconds) {
        webhookDelivered = Counter.builder("chat.webhook.delivered").description("Webhook events the receiver took (2xx)").register(registry);
        webhookRetries = Counter.builder("chat.webhook.retried").description("Webhook batches posted again after a timeout, 5xx, 408 or 429").register(registry);
        for (String reason : java.util.List.of("rejected", "expired")) {
            webhookFailure(reason);
        }
        gauge("chat.webhook.queue.events", "Webhook events in the outbox, not yet taken by the receiver", queued);
        gauge("chat.webhook.queue.age.seconds", "Age of the oldest webhook event not yet taken by the receiver (0: none)", ageSeconds);
    }

    public void webhookDelivered(int events) {
        webhookDelivered.increment(events);
    }

    public void webhookRetried() {
        webhookRetries.increment();
    }

    /**
     * Webhook events given up: {@code rejected} (the receiver answered a 4xx other than 408 and 429, or
     * a 3xx) or {@code expired} (still not taken after {@code CHAT_WEBHOOK_RETRY_FOR}).
     */
    public void webhookFailed(String reason, int events) {
        webhookFailure(reason).increment(events);
    }

    private Counter webhookFailure(String reason) {
        return webhookFailures.computeIfAbsent(reason, r -> Counter.builder("chat.webhook.failed")
                .description("Webhook events given up, by reason").tag("reason", r).register(registry));
    }

    public void limitHit(String limit) {
        limitCounter(limit).increment();
    }

    private Counter limitCounter(String limit) {
        return limitHits.computeIfAbsent(limit, l -> Counter.builder("chat.limit.hits")
                .description("Requests or connections refused by a limit").tag("limit", l).register(registry));
    }

    /** Every {@link #limitHit} label, exported at 0 from the start. */
    static final java.util.List<String> LIMITS = java.util.List.of(
            dev.chat.protocol.ErrorCode.TOO_MANY_ROOMS.wire(), dev.chat.protocol.ErrorCode.ROOM_FULL.wire(),
            CloseCode.SERVER_FULL.label(), CloseCode.TOO_MANY_USER_CONNECTIONS.label(),
            CloseCode.TOO_MANY_ADDRESS_CONNECTIONS.label(), CloseCode.TOO_BIG.label(),
            "login_throttled", "registration_throttled");

    /** One message written to one client, {@code nanos} after the server accepted it. */
    public void delivered(long nanos) {
        deliveryLatency.record(nanos, TimeUnit.NANOSECONDS);
    }

    public void rateLimited() {
        rateLimited.increment();
    }

    public void slowConsumer(int droppedFrameCount) {
        slowConsumers.increment();
        droppedFrames.increment(droppedFrameCount);
    }

    public void databaseError() {
        databaseErrors.increment();
    }

    public void databaseOutage() {
        databaseOutages.increment();
    }

    /** Messages delivered from the store to fill a gap the bus left. */
    public void gapFilled(int messages) {
        gapFills.increment(messages);
    }

    /** A batch of {@code batchSize} messages committed, {@code nanos} after the writer took it. */
    public void committed(int batchSize, long nanos) {
        commitBatch.record(batchSize);
        commitDuration.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    public void redisError() {
        redisErrors.increment();
    }

    public void redisOutage() {
        redisOutages.increment();
    }

    public void redisReconnected() {
        redisReconnects.increment();
    }

    /** The Prometheus text exposition of every meter. */
    public String scrape() {
        return registry.scrape();
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
