package dev.chat.connection;

import dev.chat.log.LogText;
import dev.chat.auth.Principal;
import dev.chat.metrics.ChatMetrics;
import dev.chat.protocol.CloseCode;
import dev.chat.protocol.EncodedFrame;
import dev.chat.protocol.ProtocolCodec;
import dev.chat.protocol.ServerFrame;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One authenticated WebSocket: who it is, the rooms it is in, and its {@link Outbox}, the only way
 * anything is written to it. Thread-safe: rooms and the outbox are touched by broadcasters on any
 * thread; the rate limiter only by the connection's inbound thread.
 */
public final class Connection {
    private static final System.Logger LOG = System.getLogger(Connection.class.getName());
    private final String id;
    /** Replaced by a {@code refresh} with a newer token of the same user; read by the heartbeat. */
    private volatile Principal principal;
    private final String traceId;
    private final FrameSink sink;
    private final Outbox outbox;
    private final RateLimiter rateLimiter;
    private final Set<String> rooms = ConcurrentHashMap.newKeySet();
    /** Rooms being joined, whose live frames wait for the replay; empty nearly always. */
    private final ConcurrentHashMap<String, ReplayGate> gates = new ConcurrentHashMap<>();
    /** The last seq a join's replay sent, per room, until a later live message passes it. */
    private final ConcurrentHashMap<String, Long> replayFloors = new ConcurrentHashMap<>();
    /**
     * Rooms this connection is in because its user is a member, not because it sent {@code join}:
     * the seq its live messages of the room start after. A later {@code join} replays up to it.
     */
    private final ConcurrentHashMap<String, Long> attachedAt = new ConcurrentHashMap<>();
    /**
     * Frames addressed to the user (direct messages, read positions) that reached this connection
     * while it opened, before its welcome was queued; null once {@link #welcomed}. They wait so that
     * none comes before the welcome, and a direct message committed after the welcome's read is
     * delivered rather than falling between what the welcome counted and what reaches it live.
     */
    private volatile List<Held> beforeWelcome = new ArrayList<>(0);
    private final Object welcomeLock = new Object();

    /** A frame held before the welcome: a direct message ({@code encoded}, its conversation and seq) or another ({@code frame}). */
    private record Held(String room, long seq, EncodedFrame encoded, ServerFrame frame) { }
    /** Serialises changes of this connection's rooms by its own requests and by its user's other devices. */
    private final Object membershipLock = new Object();
    private final int gateCapacity;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ConnectionListener listener;
    private final ChatMetrics metrics;
    private final Executor closer;
    private volatile long lastSeenNanos;

    /** Told once when a connection ends, however it ends, so its rooms forget it at once. */
    public interface ConnectionListener {
        /**
         * A connection is being admitted: queue {@code first} (the welcome, which a listener may
         * complete) before anything else can reach the connection.
         */
        default void opening(Connection connection, dev.chat.protocol.ServerFrame first) {
            connection.send(first);
            connection.welcomed(Map.of());
        }

        /** A connection was admitted (before any of its frames are handled). */
        default void opened(Connection connection) {
        }

        /** The connection took a newer token ({@code refresh}): its expiry moved. */
        default void refreshed(Connection connection) {
        }

        void closed(Connection connection, int code);
    }

    Connection(String id, Principal principal, String traceId, FrameSink sink, Limits limits,
               ConnectionListener listener, Executor closer, Executor writer, ChatMetrics metrics, long nowNanos) {
        this.id = id;
        this.principal = principal;
        this.traceId = traceId;
        this.sink = sink;
        this.listener = listener;
        this.metrics = metrics;
        this.closer = closer;
        this.outbox = new Outbox(sink, limits.outboxMaxMessages(), limits.outboxMaxBytes(),
                // Deferred: an overflow is found by a broadcaster, maybe under a room's lock; the
                // outbox already refuses frames, so cleaning up a moment later loses nothing.
                (dropped, nodeBehind) -> {
                    metrics.slowConsumer(dropped);
                    LOG.log(Level.INFO, "{0} is a slow consumer: {1} frames queued {2}", this, Integer.toString(dropped),
                            nodeBehind ? "waiting for this node's writer threads (the node is behind)"
                                    : "behind a send it does not read");
                    closeLater(closer, CloseCode.SLOW_CONSUMER);
                },
                metrics::delivered, writer, limits.slowConsumerGrace().toNanos(), limits.budget());
        this.rateLimiter = new RateLimiter(limits.ratePerSec(), limits.rateBurst(), nowNanos);
        this.gateCapacity = limits.outboxMaxMessages();
        this.lastSeenNanos = nowNanos;
    }

    /** The per-connection bounds, from the config. */
    public record Limits(int outboxMaxMessages, int outboxMaxBytes, int ratePerSec, int rateBurst,
                         java.time.Duration slowConsumerGrace, OutboxBudget budget) { }

    public String id() {
        return id;
    }

    public String user() {
        return principal.user();
    }

    public Principal principal() {
        return principal;
    }

    /**
     * Takes a newer token's principal, which must be of the same user (a connection never changes
     * hands); false, and nothing changed, otherwise.
     */
    public synchronized boolean refresh(Principal newer) {
        if (!newer.user().equals(principal.user())) {
            return false;
        }
        principal = newer;
        listener.refreshed(this);
        return true;
    }

    public String traceId() {
        return traceId;
    }

    /** The rooms this connection is in; the room registry keeps it in step with the rooms. */
    public Set<String> rooms() {
        return rooms;
    }

    public void send(ServerFrame frame) {
        metrics.framesOut(frame.getType(), 1);
        outbox.offer(ProtocolCodec.encode(frame));
    }

    /** Queues a frame encoded once for many receivers. */
    public void send(EncodedFrame frame) {
        outbox.offer(frame);
    }

    /**
     * A room event for this connection: held while the room's join is replaying, queued otherwise;
     * a send that is due joins {@code starts}, which the broadcaster flushes after its loop.
     */
    public void deliver(String room, EncodedFrame frame, long seq, SendStarts starts) {
        ReplayGate gate = gates.isEmpty() ? null : gates.get(room);
        if (gate != null) {
            ReplayGate.Hold hold = gate.hold(frame, seq);
            if (hold == ReplayGate.Hold.HELD) {
                return;
            }
            if (hold == ReplayGate.Hold.FULL) {
                closeLater(closer, CloseCode.SLOW_CONSUMER);
                return;
            }
        }
        // after the gate: a gate that let this pass, or is gone, has set its floor already
        if (seq > 0 && !replayFloors.isEmpty() && belowReplayFloor(room, seq)) {
            return; // already sent by the join's replay
        }
        outbox.offer(frame, starts);
    }

    /**
     * A direct message for this connection's user: queued, or held until the welcome says where the
     * conversation {@code room} stands ({@link #welcomed}), which drops it if the welcome counted it.
     */
    public void deliverToUser(String room, long seq, EncodedFrame frame) {
        if (!holdBeforeWelcome(new Held(room, seq, frame, null))) {
            outbox.offer(frame);
        }
    }

    /** Another frame for this connection's user (a read position): queued, or after the welcome. */
    public void sendToUser(ServerFrame frame) {
        if (!holdBeforeWelcome(new Held(null, 0, null, frame))) {
            send(frame);
        }
    }

    private boolean holdBeforeWelcome(Held held) {
        if (beforeWelcome == null) {
            return false; // nearly always: read without the lock, written once
        }
        synchronized (welcomeLock) {
            if (beforeWelcome == null) {
                return false;
            }
            beforeWelcome.add(held);
            return true;
        }
    }

    /**
     * The welcome is queued, with {@code seqs}, where each conversation stood when it was read: what
     * waited goes out now, but direct messages the welcome counted already (it is the history the
     * client pages), and from now on frames for the user are queued at once.
     */
    public void welcomed(Map<String, Long> seqs) {
        synchronized (welcomeLock) {
            for (Held held : beforeWelcome) {
                if (held.frame() != null) {
                    send(held.frame());
                } else if (held.seq() > seqs.getOrDefault(held.room(), 0L)) {
                    outbox.offer(held.encoded());
                }
            }
            beforeWelcome = null;
        }
    }

    /** History replayed on a join; may take the outbox past its usual byte bound (see Outbox#offerReplay). */
    public void sendReplay(EncodedFrame frame) {
        outbox.offerReplay(frame);
    }

    /** Starts holding the room's live frames until {@link #closeGate}. */
    public ReplayGate openGate(String room) {
        ReplayGate gate = new ReplayGate(gateCapacity);
        gates.put(room, gate);
        return gate;
    }

    /** Sends what the replay did not contain and lets the room's frames through from now on. */
    public void closeGate(String room, ReplayGate gate, long replayedUpTo) {
        synchronized (gate) {
            // A message stored before the history was read may still be on its way to this node
            // (its delivery runs after the storing, on another thread): the floor drops it when it
            // comes, whether the gate holds it or it arrives after the gate is down.
            if (replayedUpTo > 0) {
                replayFloors.put(room, replayedUpTo);
            }
            gate.release(outbox, replayedUpTo);
            gates.remove(room, gate);
        }
    }

    /**
     * True when {@code seq} was in the join's replay. A room's messages reach a connection in seq
     * order, so the first one above the floor retires it: the check costs nothing afterwards.
     */
    private boolean belowReplayFloor(String room, long seq) {
        Long floor = replayFloors.get(room);
        if (floor == null) {
            return false;
        }
        if (seq <= floor) {
            return true;
        }
        replayFloors.remove(room, floor);
        return false;
    }

    /**
     * The connection left the room: its replay floor goes too. A floor is retired by the room's
     * next live message, which a connection that left never gets, so it used to stay for the
     * connection's life: one entry per room with history joined and left in between, without bound
     * for a connection that keeps joining and leaving (two frames an entry).
     */
    public void left(String room) {
        rooms.remove(room);
        replayFloors.remove(room);
        attachedAt.remove(room);
    }

    /** The connection is in the room by its user's membership; its live messages are those after {@code seq}. */
    public void attached(String room, long seq) {
        attachedAt.put(room, seq);
    }

    /**
     * Held while this connection's rooms change, by its own {@code join} or {@code leave} or by its
     * user's membership changing elsewhere: a join never races the same room being attached. Taken
     * after a user-level lock and before any room's.
     */
    public Object membershipLock() {
        return membershipLock;
    }

    /** The seq the membership's live messages started after, once: null when the connection joined the room itself. */
    public Long takeAttached(String room) {
        return attachedAt.remove(room);
    }

    /** Rooms whose join's replay floor is still held (for tests). */
    public int replayFloorCount() {
        return replayFloors.size();
    }

    public RateLimiter.Verdict acquire(long nowNanos) {
        return rateLimiter.acquire(nowNanos);
    }

    /** Any inbound frame or pong proves the peer alive. */
    public void touch(long nowNanos) {
        lastSeenNanos = nowNanos;
    }

    public long lastSeenNanos() {
        return lastSeenNanos;
    }

    public boolean isOpen() {
        return !closed.get();
    }

    Outbox outbox() {
        return outbox;
    }

    private void closeLater(Executor closer, CloseCode code) {
        try {
            closer.execute(() -> close(code));
        } catch (RejectedExecutionException e) {
            close(code); // the node is stopping
        }
    }

    /** Closes now, dropping what is queued. The first close wins; its code is the one reported. */
    public void close(CloseCode code) {
        if (closed.compareAndSet(false, true)) {
            outbox.discard();
            listener.closed(this, code.code());
            sink.close(code);
        }
    }

    /** Closes after what is queued has been written (graceful shutdown: nothing accepted is lost). */
    public void closeAfterFlush(CloseCode code) {
        if (closed.compareAndSet(false, true)) {
            listener.closed(this, code.code());
            outbox.closeWhenDrained(code);
        }
    }

    /** Closes the transport whatever state the connection is in (a stuck send at the end of a shutdown grace). */
    void forceClose(CloseCode code) {
        closed.set(true);
        outbox.discard();
        sink.close(code);
    }

    /** The transport ended on its own (peer close, network error): forget the connection. */
    public void transportClosed(int code) {
        if (closed.compareAndSet(false, true)) {
            outbox.discard();
            listener.closed(this, code);
        }
    }

    @Override
    public String toString() {
        return "connection " + id + " (user " + LogText.name(principal.user()) + ", trace " + traceId + ")";
    }
}
