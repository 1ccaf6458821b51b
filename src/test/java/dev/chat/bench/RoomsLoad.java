package dev.chat.bench;

import dev.chat.testing.SeededUsers;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.HdrHistogram.Histogram;

/**
 * The {@code rooms} scenario: what a real chat looks like, many small conversations and people
 * coming and going. Connection {@code i} is user {@code u<i>}, a member of one room of
 * {@code roomSize} ({@code r<i / roomSize>}) and of one direct conversation (with {@code u<i ^ 1>}, on
 * its personal channel). Every conversation sends {@code rate} messages a second, its members taking
 * turns; {@code churn} of the connections a second drop (the socket closed, no close frame) and
 * reconnect at once, then recover what they missed as a client must: the room by {@code join} with
 * {@code since} (the highest seq up to which they have every message), the direct conversation by
 * {@code history} up to the {@code seq} their {@code welcome} names.
 *
 * <p>Every user keeps the set of seqs it has of each of its conversations (live, replayed, paged, or
 * its own, acked): at the end each must hold every seq the conversation reached, so {@code lost}
 * counts the holes and {@code dup} the live messages that came twice. {@code stale_live} counts live
 * messages at or below the seq the connection's {@code welcome} named for their conversation (the
 * protocol says live ones come after it; a client that keeps messages by seq shows each once).
 * Latency is that of live deliveries of messages sent in the measured window.
 */
final class RoomsLoad implements WsLoop.Handler {
    record Options(List<InetSocketAddress> targets, int connections, int roomSize, double rate, double churn,
                   double warmup, double duration, int ramp, List<String> pids, String label) {
        static Options parse(String[] args) {
            Map<String, String> m = LoadGenerator.flags(args);
            return new Options(LoadGenerator.targets(m), Integer.parseInt(m.getOrDefault("connections", "10000")),
                    Integer.parseInt(m.getOrDefault("room-size", "10")), Double.parseDouble(m.getOrDefault("rate", "1")),
                    Double.parseDouble(m.getOrDefault("churn", "0.01")), Double.parseDouble(m.getOrDefault("warmup", "3")),
                    Double.parseDouble(m.getOrDefault("duration", "20")), Integer.parseInt(m.getOrDefault("ramp", "2000")),
                    m.containsKey("pids") ? List.of(m.get("pids").split(",")) : List.of(), m.getOrDefault("label", "rooms"));
        }
    }

    private static final byte[] TYPE = "\"type\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ROOM = "\"room\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SEQ = "\"seq\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TEXT = "\"text\":\"k".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] REPLAY = "\"replay\":true".getBytes(StandardCharsets.US_ASCII);
    private static final long DRAIN_NANOS = 15_000_000_000L;
    private static final long SETUP_NANOS = 180_000_000_000L;
    /** How long a connection the server closed waits before it dials again (a page backs off longer). */
    private static final long RETRY_NANOS = 500_000_000L;

    private final Options o;
    private final WsLoop loop;
    private final int rooms;
    private final int conversations;
    private final WsLoop.Conn[] conns;
    /** Per user: welcome seen and recovery asked for; a dropped connection is not ready until its next welcome. */
    private final boolean[] ready;
    /** Per user, its room's and its direct conversation's seqs it has. */
    private final BitSet[][] have;
    /** Per user, the seq of its room and direct conversation that its connection's welcome named: live ones come after it. */
    private final long[][] floor;
    /** Per conversation, the highest seq seen anywhere (acks and messages). */
    private final long[] top;
    private final Histogram latency = new Histogram(60_000_000L, 3); // microseconds
    /** The same, of rooms' and of direct conversations' messages apart. */
    private final Histogram[] latencyOf = {new Histogram(60_000_000L, 3), new Histogram(60_000_000L, 3)};
    private final Random random = new Random(42);
    private final List<String> problems = new ArrayList<>();
    private final ArrayDeque<long[]> comeBack = new ArrayDeque<>();
    private int readyCount;
    private long sent;
    private long liveDeliveries;
    private long deliveredInWindow;
    private long recoveredMessages;
    private long duplicates;
    private long stale;
    private long errors;
    private long reconnects;
    private long unexpectedCloses;
    private long unrecoveredJoins;
    private long skipped;
    private long measureFrom = Long.MAX_VALUE;
    private long measureTo = Long.MAX_VALUE;

    RoomsLoad(Options o) throws IOException {
        if (o.connections() % o.roomSize() != 0 || o.connections() % 2 != 0) {
            throw new IllegalArgumentException("connections must be even and a multiple of the room size");
        }
        this.o = o;
        this.rooms = o.connections() / o.roomSize();
        this.conversations = rooms + o.connections() / 2;
        this.conns = new WsLoop.Conn[o.connections()];
        this.ready = new boolean[o.connections()];
        this.have = new BitSet[o.connections()][];
        for (int u = 0; u < have.length; u++) {
            have[u] = new BitSet[] {new BitSet(), new BitSet()};
        }
        this.top = new long[conversations];
        this.floor = new long[o.connections()][2];
        Dialect chat = new Dialect.Chat(i -> SeededUsers.token(LoadGenerator.user(i)));
        this.loop = new WsLoop(o.targets().toArray(InetSocketAddress[]::new), chat, this);
    }

    static Map<String, Object> run(Options o) throws Exception {
        RoomsLoad load = new RoomsLoad(o);
        try {
            return load.execute();
        } finally {
            load.loop.close();
        }
    }

    private int roomOf(int user) {
        return user / o.roomSize();
    }

    private int directOf(int user) {
        return rooms + user / 2;
    }

    /** The user whose turn it is in conversation {@code c} at round {@code round}, or -1 when all are away. */
    private int sender(int c, long round) {
        int size = c < rooms ? o.roomSize() : 2;
        int first = c < rooms ? c * o.roomSize() : (c - rooms) * 2;
        for (int k = 0; k < size; k++) {
            int u = first + (int) ((round + k) % size);
            if (ready[u]) {
                return u;
            }
        }
        return -1;
    }

    private Map<String, Object> execute() throws Exception {
        connectAll();
        idle(1.0);
        long start = System.nanoTime();
        long warmupEnd = start + (long) (o.warmup() * 1e9);
        long end = warmupEnd + (long) (o.duration() * 1e9);
        double period = 1e9 / o.rate();
        double dropEvery = o.churn() > 0 ? 1e9 / (o.churn() * o.connections()) : 0;
        long nextDrop = o.churn() > 0 ? start + (long) dropEvery : Long.MAX_VALUE;
        long round = 0;
        int next = 0;
        double[] cpuFrom = null;
        double[] cpuTo = null;
        while (true) {
            long now = System.nanoTime();
            if (cpuFrom == null && now >= warmupEnd) {
                cpuFrom = ProcStats.cpuSeconds(o.pids());
                measureFrom = now;
                measureTo = end;
            }
            if (now >= end) {
                cpuTo = ProcStats.cpuSeconds(o.pids());
                break;
            }
            // conversation c sends at start + round * period + c * period / conversations: phases spread
            while (start + (long) (round * period + next * period / conversations) <= now) {
                send(next, round, now);
                if (++next == conversations) {
                    next = 0;
                    round++;
                }
            }
            while (nextDrop <= now) {
                drop();
                nextDrop += (long) dropEvery;
            }
            redial(now);
            loop.poll(1);
        }
        long drainUntil = System.nanoTime() + DRAIN_NANOS;
        while (System.nanoTime() < drainUntil && (readyCount < o.connections() || missing() > 0)) {
            idle(0.2);
        }
        double seconds = Math.max(1e-3, (measureTo - measureFrom) / 1e9);
        double serverCpuSeconds = cpuTo[0] - cpuFrom[0];
        long lost = missing();
        if (lost > 0) {
            describeHoles();
        }
        problems.forEach(p -> System.err.println("problem: " + p));
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("label", o.label());
        f.put("connections", o.connections());
        f.put("members", readyCount);
        f.put("rooms", rooms);
        f.put("directs", conversations - rooms);
        f.put("sent", sent);
        f.put("delivered", liveDeliveries);
        f.put("lost", lost);
        f.put("dup", duplicates);
        f.put("stale_live", stale);
        f.put("errors", errors);
        f.put("closed", unexpectedCloses);
        f.put("reconnects", reconnects);
        f.put("recovered_msgs", recoveredMessages);
        f.put("unrecovered_joins", unrecoveredJoins);
        f.put("skipped_sends", skipped);
        f.put("deliveries_per_s", Math.round(deliveredInWindow / seconds));
        f.put("p50_ms", fmt(latency.getValueAtPercentile(50) / 1000.0));
        f.put("p95_ms", fmt(latency.getValueAtPercentile(95) / 1000.0));
        f.put("p99_ms", fmt(latency.getValueAtPercentile(99) / 1000.0));
        f.put("max_ms", fmt(latency.getMaxValue() / 1000.0));
        f.put("p99_room_ms", fmt(latencyOf[0].getValueAtPercentile(99) / 1000.0));
        f.put("p99_direct_ms", fmt(latencyOf[1].getValueAtPercentile(99) / 1000.0));
        f.put("server_cpu_pct", fmt(100 * serverCpuSeconds / seconds));
        f.put("gen_cpu_pct", fmt(100 * (cpuTo[1] - cpuFrom[1]) / seconds));
        f.put("cpu_ms_per_1k_deliveries", fmt(deliveredInWindow == 0 ? 0 : 1e6 * serverCpuSeconds / deliveredInWindow));
        f.put("deliveries_per_cpu_s", Math.round(serverCpuSeconds <= 0 ? 0 : deliveredInWindow / serverCpuSeconds));
        f.put("rss_kib", ProcStats.rssKiB(o.pids()));
        f.put("seconds", fmt(seconds));
        return f;
    }

    private static String fmt(double d) {
        return String.format(Locale.ROOT, "%.2f", d);
    }

    private void connectAll() throws IOException {
        long start = System.nanoTime();
        int started = 0;
        while (readyCount < o.connections()) {
            long now = System.nanoTime();
            long due = Math.min(o.connections(), (long) ((now - start) / 1e9 * o.ramp()) + 1);
            while (started < due && started - readyCount < 500) {
                conns[started] = loop.connect(started);
                started++;
            }
            if (now - start > SETUP_NANOS) {
                throw new IllegalStateException("setup did not finish: " + readyCount + " of " + o.connections());
            }
            redial(now);
            loop.poll(1);
        }
        System.err.printf(Locale.ROOT, "%s: %d connections in %d rooms of %d and %d direct conversations in %.1f s%n",
                o.label(), readyCount, rooms, o.roomSize(), conversations - rooms, (System.nanoTime() - start) / 1e9);
    }

    private void idle(double seconds) throws IOException {
        long until = System.nanoTime() + (long) (seconds * 1e9);
        for (long now = System.nanoTime(); now < until; now = System.nanoTime()) {
            redial(now);
            loop.poll(50);
        }
    }

    private void send(int c, long round, long now) {
        int u = sender(c, round);
        if (u < 0) {
            skipped++;
            return;
        }
        String text = "k" + c + "." + round + "." + now;
        String where = c < rooms ? "\"room\":\"r" + c + "\"" : "\"to\":\"" + LoadGenerator.user(u ^ 1) + "\"";
        loop.sendText(conns[u], ("{\"type\":\"send\"," + where + ",\"text\":\"" + text + "\",\"id\":\"" + c + "." + round + "\"}")
                .getBytes(StandardCharsets.US_ASCII));
        sent++;
    }

    /** A random ready connection loses its socket and dials again at once. */
    private void drop() throws IOException {
        for (int tries = 0; tries < 20; tries++) {
            int u = random.nextInt(o.connections());
            if (ready[u]) {
                ready[u] = false;
                readyCount--;
                loop.drop(conns[u]);
                conns[u] = loop.connect(u);
                reconnects++;
                return;
            }
        }
    }

    @Override
    public void opened(WsLoop.Conn c) {
        // a member from its welcome on
    }

    @Override
    public void closed(WsLoop.Conn c, String why) {
        if (WsLoop.DROPPED.equals(why) || conns[c.index] != c) {
            return; // ours, or an earlier socket of a connection that dialled again
        }
        unexpectedCloses++;
        if (unexpectedCloses <= 3) {
            problems.add("connection " + c.index + " ended: " + why);
        }
        if (ready[c.index]) {
            ready[c.index] = false;
            readyCount--;
        }
        comeBack.add(new long[] {System.nanoTime() + RETRY_NANOS, c.index}); // as a page would, after a pause
    }

    /** Dials again the connections the server closed whose pause is over. */
    private void redial(long now) throws IOException {
        for (long[] due = comeBack.peek(); due != null && due[0] <= now; due = comeBack.peek()) {
            comeBack.poll();
            conns[(int) due[1]] = loop.connect((int) due[1]);
        }
    }

    @Override
    public void line(WsLoop.Conn c, byte[] b, int from, int to, long now) {
        int u = c.index;
        int t = Dialect.Chat.indexOf(b, from, to, TYPE);
        if (t < 0) {
            return;
        }
        switch (b[t]) {
            case 'm' -> {
                if (b[t + 1] == 'e' && b[t + 2] == 's') {
                    message(u, b, from, to, now);
                }
            }
            case 'a' -> ack(u, b, from, to);
            case 'w' -> welcome(c, json(b, from, to));
            case 'j' -> {
                JsonObject joined = json(b, from, to);
                if (joined.containsKey("recovered") && !joined.getBoolean("recovered")) {
                    unrecoveredJoins++;
                }
                if (!ready[u] && conns[u] == c) {
                    ready[u] = true;
                    readyCount++;
                }
            }
            case 'h' -> history(u, json(b, from, to));
            case 'e' -> {
                if (errors++ < 3) {
                    problems.add("error frame: " + new String(b, from, to - from, StandardCharsets.UTF_8));
                }
            }
            default -> { }
        }
    }

    private static JsonObject json(byte[] b, int from, int to) {
        try (JsonReader r = Json.createReader(new ByteArrayInputStream(b, from, to - from))) {
            return r.readObject();
        }
    }

    /** Which of the user's two conversations a frame is about: 0 the room (it names one), 1 the direct one. */
    private static int slot(byte[] b, int from, int to) {
        return Dialect.Chat.indexOf(b, from, to, ROOM) >= 0 ? 0 : 1;
    }

    private static long number(byte[] b, int i, int to) {
        long n = 0;
        while (i < to && b[i] >= '0' && b[i] <= '9') {
            n = n * 10 + (b[i++] - '0');
        }
        return n;
    }

    private void message(int u, byte[] b, int from, int to, long now) {
        int s = Dialect.Chat.indexOf(b, from, to, SEQ);
        if (s < 0) {
            return;
        }
        int slot = slot(b, from, to);
        long seq = number(b, s, to);
        boolean replay = Dialect.Chat.indexOf(b, from, to, REPLAY) >= 0;
        boolean had = !mark(u, slot, seq);
        if (!replay && seq <= floor[u][slot]) {
            stale++; // live, but at or below what the welcome said this connection starts after
        } else if (had && !replay) {
            if (duplicates++ < 3) {
                problems.add("u" + u + " got seq " + seq + " again: " + new String(b, from, to - from, StandardCharsets.UTF_8));
            }
        }
        if (replay) {
            recoveredMessages++;
            return;
        }
        liveDeliveries++;
        if (now >= measureFrom && now < measureTo) {
            deliveredInWindow++;
        }
        int k = Dialect.Chat.indexOf(b, from, to, TEXT);
        if (k >= 0) {
            while (k < to && b[k] != '.') {
                k++;
            }
            k++;
            while (k < to && b[k] != '.') {
                k++;
            }
            long sentAt = number(b, k + 1, to);
            if (sentAt >= measureFrom && sentAt < measureTo) {
                long micros = Math.min(60_000_000L, Math.max(0, (now - sentAt) / 1000));
                latency.recordValue(micros);
                latencyOf[slot].recordValue(micros);
            }
        }
    }

    private void ack(int u, byte[] b, int from, int to) {
        int s = Dialect.Chat.indexOf(b, from, to, SEQ);
        if (s >= 0) {
            mark(u, slot(b, from, to), number(b, s, to));
        }
    }

    /** Records that user {@code u} has {@code seq} of its conversation {@code slot}; false when it had it already. */
    private boolean mark(int u, int slot, long seq) {
        int c = slot == 0 ? roomOf(u) : directOf(u);
        top[c] = Math.max(top[c], seq);
        BitSet bits = have[u][slot];
        if (bits.get((int) seq)) {
            return false;
        }
        bits.set((int) seq);
        return true;
    }

    /** Every seq from 1 up to {@code seq(u, slot)} that the user has without a hole. */
    private long complete(int u, int slot) {
        return have[u][slot].nextClearBit(1) - 1L;
    }

    private void welcome(WsLoop.Conn c, JsonObject welcome) {
        int u = c.index;
        String room = "r" + roomOf(u);
        String partner = LoadGenerator.user(u ^ 1);
        boolean inRoom = false;
        List<JsonValue> listed = welcome.containsKey("rooms") ? welcome.getJsonArray("rooms") : List.of();
        for (JsonValue v : listed) {
            JsonObject r = v.asJsonObject();
            long seq = r.getJsonNumber("seq").longValue();
            if (room.equals(r.getString("room", null))) {
                inRoom = true;
                floor[u][0] = seq;
            } else if (partner.equals(r.getString("with", null))) {
                floor[u][1] = seq;
                if (seq > complete(u, 1)) {
                    loop.sendText(c, ("{\"type\":\"history\",\"with\":\"" + partner + "\",\"before\":" + (seq + 1)
                            + ",\"limit\":200,\"id\":\"h\"}").getBytes(StandardCharsets.US_ASCII));
                }
            }
        }
        // the first time, a join makes the user a member; after a drop, it replays the gap
        String since = inRoom ? ",\"since\":" + complete(u, 0) : "";
        loop.sendText(c, ("{\"type\":\"join\",\"room\":\"" + room + "\"" + since + ",\"id\":\"j\"}").getBytes(StandardCharsets.US_ASCII));
    }

    private void history(int u, JsonObject history) {
        for (JsonValue v : history.getJsonArray("messages")) {
            JsonObject m = v.asJsonObject();
            if (m.containsKey("seq")) {
                if (mark(u, 1, m.getJsonNumber("seq").longValue())) {
                    recoveredMessages++;
                }
            }
        }
    }

    /** The first few holes, for whoever reads a run that lost something. */
    private void describeHoles() {
        int shown = 0;
        for (int u = 0; u < o.connections() && shown < 5; u++) {
            for (int slot = 0; slot < 2 && shown < 5; slot++) {
                long upTo = top[slot == 0 ? roomOf(u) : directOf(u)];
                int hole = have[u][slot].nextClearBit(1);
                if (hole <= upTo) {
                    shown++;
                    problems.add("u" + u + " lacks seq " + hole + " of its " + (slot == 0 ? "room r" + roomOf(u) : "direct conversation")
                            + " (up to " + upTo + "; it has " + have[u][slot] + "; connected " + ready[u] + ", its welcome's seq "
                            + floor[u][slot] + ")");
                }
            }
        }
    }

    /** Seqs a member lacks, over every conversation: what was lost. */
    private long missing() {
        long holes = 0;
        for (int u = 0; u < o.connections(); u++) {
            for (int slot = 0; slot < 2; slot++) {
                long upTo = top[slot == 0 ? roomOf(u) : directOf(u)];
                BitSet bits = have[u][slot];
                holes += upTo - bits.get(1, (int) upTo + 1).cardinality();
            }
        }
        return holes;
    }
}
