package dev.chat.bench;

import dev.chat.auth.PasswordHasher;
import dev.chat.testing.SeededUsers;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;
import redis.clients.jedis.Jedis;

/**
 * The load generator behind {@code deploy/bench.sh}: opens N connections at a set ramp (all on one
 * thread, see {@link WsLoop}), makes them members (chat: welcome and join; raw: the upgrade), then
 * publishes from P of them, either closed-loop (at most {@code window} messages not yet delivered
 * to every member, per publisher) or at a fixed rate per publisher. Each text carries its
 * publisher, a sequence and its send time ({@code System.nanoTime}, one process), so each receiver
 * checks order and loss and the latency of every delivery is recorded. Loopback only.
 *
 * <pre>
 * run   --dialect chat|raw --target 127.0.0.1:PORT[,127.0.0.1:PORT] --connections N --publishers P
 *       [--window W | --rate R] [--warmup S] [--duration S] [--size BYTES] [--ramp CONN_PER_S]
 *       [--users U] [--pids PID,...] [--label NAME] [--hold S] [--gc]
 rooms --target 127.0.0.1:PORT[,...] --connections N [--room-size 10] [--rate MSG_PER_S] [--churn FRACTION_PER_S]
       [--warmup S] [--duration S] [--ramp CONN_PER_S] [--pids PID,...] [--label NAME]   (see {@link RoomsLoad})
 * seed-file  DIR USERS         users.json for a single node (cheap hash, tokens signed with the test secret)
 * seed-redis URL USERS [PREFIX] the same users in a cluster's Redis hash
 * </pre>
 */
public final class LoadGenerator implements WsLoop.Handler {
    /** Text of the users seeded by {@link #seedFile}: u0, u1, ... */
    static String user(int i) {
        return "u" + i;
    }

    /** Settings of one run. */
    record Options(String dialect, List<InetSocketAddress> targets, int connections, int publishers, int window,
                   double rate, double warmup, double duration, int size, int ramp, int users, List<String> pids,
                   String label, double hold, boolean gc) {

        static Options parse(String[] args) {
            Map<String, String> m = flags(args);
            List<InetSocketAddress> targets = LoadGenerator.targets(m);
            int connections = Integer.parseInt(m.getOrDefault("connections", "10"));
            List<String> pids = m.containsKey("pids") ? List.of(m.get("pids").split(",")) : List.of();
            return new Options(m.getOrDefault("dialect", "chat"), targets, connections,
                    Integer.parseInt(m.getOrDefault("publishers", "1")), Integer.parseInt(m.getOrDefault("window", "0")),
                    Double.parseDouble(m.getOrDefault("rate", "0")), Double.parseDouble(m.getOrDefault("warmup", "2")),
                    Double.parseDouble(m.getOrDefault("duration", "10")), Integer.parseInt(m.getOrDefault("size", "48")),
                    Integer.parseInt(m.getOrDefault("ramp", "2000")),
                    Integer.parseInt(m.getOrDefault("users", Integer.toString(connections))), pids,
                    m.getOrDefault("label", "run"), Double.parseDouble(m.getOrDefault("hold", "0")), m.containsKey("gc"));
        }
    }

    /** {@code --key value} pairs ({@code --gc} alone). */
    static Map<String, String> flags(String[] args) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + args[i]);
            }
            String key = args[i].substring(2);
            m.put(key, key.equals("gc") ? "true" : args[++i]);
        }
        return m;
    }

    /** {@code --target 127.0.0.1:PORT[,...]}: loopback only. */
    static List<InetSocketAddress> targets(Map<String, String> m) {
        List<InetSocketAddress> targets = new ArrayList<>();
        for (String t : m.getOrDefault("target", "127.0.0.1:8080").split(",")) {
            String[] hp = t.split(":");
            if (!hp[0].equals("127.0.0.1") && !hp[0].equals("localhost")) {
                throw new IllegalArgumentException("loopback only: " + t);
            }
            targets.add(new InetSocketAddress("127.0.0.1", Integer.parseInt(hp[1])));
        }
        return targets;
    }

    /** What one run measured. Latencies in milliseconds, CPU in percent of one core. */
    record Result(String label, int connections, int members, long sent, long expected, long delivered, long lost,
                  long duplicates, long gaps, long errors, int closed, double deliveriesPerSecond, double p50, double p95,
                  double p99, double max, double serverCpu, double generatorCpu, long rssKiB, double rssPerConnKiB,
                  double seconds) {

        Map<String, Object> fields() {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("label", label);
            f.put("connections", connections);
            f.put("members", members);
            f.put("sent", sent);
            f.put("expected", expected);
            f.put("delivered", delivered);
            f.put("lost", lost);
            f.put("dup", duplicates);
            f.put("gaps", gaps);
            f.put("errors", errors);
            f.put("closed", closed);
            f.put("deliveries_per_s", Math.round(deliveriesPerSecond));
            f.put("p50_ms", fmt(p50));
            f.put("p95_ms", fmt(p95));
            f.put("p99_ms", fmt(p99));
            f.put("max_ms", fmt(max));
            f.put("server_cpu_pct", fmt(serverCpu));
            f.put("gen_cpu_pct", fmt(generatorCpu));
            f.put("rss_kib", rssKiB);
            f.put("rss_per_conn_kib", fmt(rssPerConnKiB));
            f.put("seconds", fmt(seconds));
            return f;
        }

        /** One line, {@code RESULT key=value ...}, which deploy/bench.sh collects. */
        String line() {
            StringBuilder sb = new StringBuilder("RESULT");
            fields().forEach((k, v) -> sb.append(' ').append(k).append('=').append(v));
            return sb.toString();
        }

        private static String fmt(double d) {
            return String.format(Locale.ROOT, "%.2f", d);
        }
    }

    private static final int RING = 1 << 12;
    private static final long DRAIN_NANOS = 5_000_000_000L;
    private static final long SETUP_NANOS = 120_000_000_000L;

    private final Options o;
    private final Dialect dialect;
    private final WsLoop loop;
    private final WsLoop.Conn[] conns;
    private final Histogram latency = new Histogram(60_000_000L, 3); // microseconds
    private final String padding;

    private int opened;
    private int members;
    private int closedCount;
    private long sent;
    private long expected;
    private long delivered;
    private long duplicates;
    private long gaps;
    private long errors;
    private long deliveredInWindow;
    private long measureFrom = Long.MAX_VALUE;
    private long measureTo = Long.MAX_VALUE;
    private final long[] nextSeq;
    private final int[] inFlight;
    private final int[][] remaining;
    private final List<String> problems = new ArrayList<>();

    LoadGenerator(Options o) throws IOException {
        this.o = o;
        this.dialect = o.dialect().equals("raw") ? new Dialect.Raw()
                : new Dialect.Chat(i -> SeededUsers.token(user(i % o.users())));
        this.loop = new WsLoop(o.targets().toArray(InetSocketAddress[]::new), dialect, this);
        this.conns = new WsLoop.Conn[o.connections()];
        this.nextSeq = new long[o.publishers()];
        this.inFlight = new int[o.publishers()];
        this.remaining = o.window() > 0 ? new int[o.publishers()][RING] : null;
        this.padding = " " + "x".repeat(Math.max(0, o.size() - 32));
        if (o.window() >= RING) {
            throw new IllegalArgumentException("window must be below " + RING);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: LoadGenerator run|seed-file|seed-redis ... (see the class comment)");
            System.exit(2);
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (args[0]) {
            case "seed-file" -> seedFile(Path.of(rest[0]), Integer.parseInt(rest[1]));
            case "seed-redis" -> seedRedis(rest[0], Integer.parseInt(rest[1]), rest.length > 2 ? rest[2] : "chat:");
            case "rooms" -> {
                Map<String, Object> r = RoomsLoad.run(RoomsLoad.Options.parse(rest));
                StringBuilder line = new StringBuilder("RESULT");
                r.forEach((k, v) -> line.append(' ').append(k).append('=').append(v));
                System.out.println(line);
                boolean clean = ((Number) r.get("lost")).longValue() == 0 && ((Number) r.get("dup")).longValue() == 0;
                System.exit(clean ? 0 : 1);
            }
            case "run" -> {
                Result r = run(Options.parse(rest));
                System.out.println(r.line());
                System.exit(r.lost() == 0 && r.members() == r.connections() ? 0 : 1);
            }
            default -> throw new IllegalArgumentException("unknown command " + args[0]);
        }
    }

    /** Runs one load as set by {@code o}; prints progress to stderr. */
    static Result run(Options o) throws Exception {
        LoadGenerator g = new LoadGenerator(o);
        try {
            return g.execute();
        } finally {
            g.loop.close();
        }
    }

    /** users.json with {@code n} users sharing one cheap hash: writing them one by one is quadratic. */
    static void seedFile(Path dir, int n) throws IOException {
        Files.createDirectories(dir);
        String hash = new PasswordHasher(1_000).hash("bench-password");
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ",").append('"').append(user(i)).append("\":\"").append(hash).append('"');
        }
        Files.writeString(dir.resolve("users.json"), sb.append('}').toString(), StandardCharsets.UTF_8);
    }

    /** The same users in a cluster's Redis (the hash RedisUserStore reads). */
    static void seedRedis(String url, int n, String prefix) {
        String hash = new PasswordHasher(1_000).hash("bench-password");
        try (Jedis jedis = new Jedis(URI.create(url))) {
            Map<String, String> users = new HashMap<>();
            for (int i = 0; i < n; i++) {
                users.put(user(i), hash);
                if (users.size() == 1000 || i == n - 1) {
                    jedis.hset(prefix + "users", users);
                    users.clear();
                }
            }
        }
    }

    private Result execute() throws Exception {
        long rssBefore = rss();
        connectAll();
        long idleRss = rss();
        if (o.hold() > 0) {
            idle(o.hold());
            idleRss = rss();
        }
        idle(1.0); // presence and welcome frames settle
        long start = System.nanoTime();
        long warmupEnd = start + (long) (o.warmup() * 1e9);
        long end = warmupEnd + (long) (o.duration() * 1e9);
        double[] cpuFrom = null;
        double[] cpuTo = null;
        long[] nextDue = new long[o.publishers()];
        double period = o.rate() > 0 ? 1e9 / o.rate() : 0;
        for (int p = 0; p < nextDue.length; p++) {
            nextDue[p] = start + (long) (period * p / Math.max(1, nextDue.length));
        }
        long lastProgress = System.nanoTime();
        long lastDelivered = 0;
        boolean publishing = o.publishers() > 0 && (o.window() > 0 || o.rate() > 0);
        while (true) {
            long now = System.nanoTime();
            if (cpuFrom == null && now >= warmupEnd) {
                cpuFrom = cpu();
                measureFrom = now;
                measureTo = end;
            }
            if (cpuTo == null && now >= end) {
                cpuTo = cpu();
            }
            if (now >= end && (delivered >= expected || now - end > DRAIN_NANOS || !publishing)) {
                break;
            }
            long wait = 1;
            if (now < end && publishing) {
                if (o.window() > 0) {
                    for (int p = 0; p < nextDue.length; p++) {
                        while (inFlight[p] < o.window() && conns[p].isOpen()) {
                            publish(p, now);
                        }
                    }
                    wait = 1;
                } else {
                    for (int p = 0; p < nextDue.length; p++) {
                        while (nextDue[p] <= now && conns[p].isOpen()) {
                            publish(p, now);
                            nextDue[p] += (long) period;
                        }
                    }
                    wait = 0;
                }
            }
            if (delivered != lastDelivered) {
                lastDelivered = delivered;
                lastProgress = now;
            } else if (publishing && now < end && now - lastProgress > 10_000_000_000L) {
                problems.add("no delivery for 10 s: stopping early");
                cpuTo = cpu();
                measureTo = now;
                break;
            }
            loop.poll(wait);
        }
        long runEnd = Math.min(measureTo, end);
        double seconds = Math.max(1e-3, (runEnd - measureFrom) / 1e9);
        double serverCpu = 100 * (cpuTo[0] - cpuFrom[0]) / seconds;
        double genCpu = 100 * (cpuTo[1] - cpuFrom[1]) / seconds;
        if (o.gc()) {
            o.pids().forEach(ProcStats::gcIfJvm);
        }
        long rssNow = o.hold() > 0 ? idleRss : rss();
        double perConn = rssBefore > 0 && opened > 0 ? (double) (idleRss - rssBefore) / opened : Double.NaN;
        problems.forEach(p -> System.err.println("problem: " + p));
        return new Result(o.label(), o.connections(), members, sent, expected, delivered, expected - delivered,
                duplicates, gaps, errors, closedCount, deliveredInWindow / seconds,
                latency.getValueAtPercentile(50) / 1000.0, latency.getValueAtPercentile(95) / 1000.0,
                latency.getValueAtPercentile(99) / 1000.0, latency.getMaxValue() / 1000.0,
                serverCpu, genCpu, rssNow, perConn, seconds);
    }

    /** Opens every connection at the ramp and waits until each is a member (or gone). */
    private void connectAll() throws IOException {
        long start = System.nanoTime();
        int started = 0;
        while (members + closedCount < o.connections()) {
            long now = System.nanoTime();
            long due = Math.min(o.connections(), (long) ((now - start) / 1e9 * o.ramp()) + 1);
            // never more than 500 upgrades outstanding: a backlog of handshakes is not what we measure
            while (started < due && started - opened < 500) {
                conns[started] = loop.connect(started);
                started++;
            }
            if (now - start > SETUP_NANOS) {
                problems.add("setup did not finish: " + members + " members of " + o.connections());
                break;
            }
            loop.poll(1);
        }
        System.err.printf(Locale.ROOT, "%s: %d members of %d connections in %.1f s%n", o.label(), members,
                o.connections(), (System.nanoTime() - start) / 1e9);
    }

    private void idle(double seconds) throws IOException {
        long until = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < until) {
            loop.poll(50);
        }
    }

    private void publish(int p, long now) {
        long seq = nextSeq[p]++;
        int receivers = dialect.echoesToSender() ? members : members - 1;
        if (remaining != null) {
            remaining[p][(int) (seq & (RING - 1))] = receivers;
            inFlight[p]++;
        }
        expected += receivers;
        sent++;
        loop.sendText(conns[p], dialect.publish("b" + p + "." + seq + "." + now + padding, seq));
    }

    @Override
    public void opened(WsLoop.Conn c) {
        opened++;
        if (dialect.memberOnUpgrade()) {
            member(c);
        }
    }

    private void member(WsLoop.Conn c) {
        if (!c.member) {
            c.member = true;
            members++;
        }
    }

    @Override
    public void line(WsLoop.Conn c, byte[] b, int from, int to, long now) {
        Dialect.Line line = dialect.classify(b, from, to);
        switch (line.kind()) {
            case MESSAGE -> message(c, b, line.stamp(), to, now);
            case WELCOME -> {
                if (o.publishers() == 0) {
                    member(c); // idle: authenticated is enough; 10 000 joins of one room are a presence storm
                } else {
                    loop.sendText(c, Dialect.Chat.join());
                }
            }
            case JOINED -> member(c);
            case ERROR -> {
                if (errors++ < 3) {
                    problems.add("error frame: " + new String(b, from, to - from, StandardCharsets.UTF_8));
                }
            }
            default -> { }
        }
    }

    private void message(WsLoop.Conn c, byte[] b, int i, int to, long now) {
        if (i >= to || b[i] != 'b') {
            return;
        }
        i++;
        int p = 0;
        while (b[i] != '.') {
            p = p * 10 + (b[i++] - '0');
        }
        i++;
        long seq = 0;
        while (b[i] != '.') {
            seq = seq * 10 + (b[i++] - '0');
        }
        i++;
        long t = 0;
        while (i < to && b[i] >= '0' && b[i] <= '9') {
            t = t * 10 + (b[i++] - '0');
        }
        if (p >= nextSeq.length) {
            return;
        }
        if (c.lastSeq == null) {
            c.lastSeq = new long[nextSeq.length];
            Arrays.fill(c.lastSeq, -1);
        }
        long last = c.lastSeq[p];
        if (seq <= last) {
            duplicates++;
            return;
        }
        if (seq != last + 1) {
            gaps++;
        }
        c.lastSeq[p] = seq;
        delivered++;
        if (now >= measureFrom && now < measureTo) {
            deliveredInWindow++;
        }
        if (t >= measureFrom && t < measureTo) {
            latency.recordValue(Math.min(60_000_000L, Math.max(0, (now - t) / 1000)));
        }
        if (remaining != null && --remaining[p][(int) (seq & (RING - 1))] == 0) {
            inFlight[p]--;
        }
    }

    @Override
    public void closed(WsLoop.Conn c, String why) {
        closedCount++;
        if (c.member) {
            c.member = false;
            members--;
        }
        if (closedCount <= 3) {
            problems.add("connection " + c.index + " ended: " + why);
        }
    }

    /** Server CPU seconds (all pids) and this process's. */
    private double[] cpu() {
        return ProcStats.cpuSeconds(o.pids());
    }

    private long rss() {
        if (o.pids().isEmpty()) {
            return -1;
        }
        if (o.gc()) {
            o.pids().forEach(ProcStats::gcIfJvm);
        }
        return ProcStats.rssKiB(o.pids());
    }
}
