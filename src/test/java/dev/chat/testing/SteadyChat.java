package dev.chat.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Two healthy users in one room while a long test attacks the server: the sender sends numbered
 * messages at a steady rate, the receiver reads them. {@link #stop} then says whether every acked
 * message reached the receiver, once and in seq order. Each client has its own reader thread, so a
 * slow server shows as late acks, never as a stalled client.
 */
public final class SteadyChat implements AutoCloseable {
    /** What the chat saw: {@code lost} is acked but never received; the run is whole when it and {@code problems} are empty. */
    public record Outcome(int sent, int acked, int received, List<Integer> lost, List<String> problems) {
        @Override
        public String toString() {
            return "sent " + sent + ", acked " + acked + ", received " + received + ", lost " + lost.size()
                    + (problems.isEmpty() ? "" : ", problems " + problems.subList(0, Math.min(10, problems.size())));
        }
    }

    private final WsClient sender;
    private final WsClient receiver;
    private final String room;
    private final ScheduledExecutorService ticks = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "steady-sender"));
    private final AtomicInteger sent = new AtomicInteger();
    /** Message number to its acked seq. */
    private final Map<Integer, Long> acked = new ConcurrentHashMap<>();
    /** {seq, number} as received, in arrival order. */
    private final List<long[]> received = java.util.Collections.synchronizedList(new ArrayList<>());
    private final List<String> problems = java.util.Collections.synchronizedList(new ArrayList<>());
    private final Thread ackReader;
    private final Thread messageReader;
    private volatile boolean reading = true;

    private SteadyChat(WsClient sender, WsClient receiver, String room) {
        this.sender = sender;
        this.receiver = receiver;
        this.room = room;
        this.ackReader = new Thread(this::readAcks, "steady-acks");
        this.messageReader = new Thread(this::readMessages, "steady-messages");
    }

    /** Both users join {@code room} (a fresh one), then the sender sends one message per {@code period}. */
    public static SteadyChat start(JarNode node, String senderToken, String receiverToken, String room, Duration period)
            throws Exception {
        WsClient receiver = node.client(receiverToken);
        WsClient sender = node.client(senderToken);
        receiver.join(room);
        sender.join(room);
        SteadyChat chat = new SteadyChat(sender, receiver, room);
        chat.ackReader.start();
        chat.messageReader.start();
        chat.ticks.scheduleAtFixedRate(chat::sendNext, 0, period.toNanos(), TimeUnit.NANOSECONDS);
        return chat;
    }

    private void sendNext() {
        if (sender.isClosed()) {
            return;
        }
        int n = sent.get() + 1;
        try {
            sender.send(Map.of("type", "send", "room", room, "text", "steady " + n, "id", "s-" + n));
            sent.set(n);
        } catch (RuntimeException e) {
            problems.add("send " + n + " failed: " + e);
        }
    }

    private void readAcks() {
        while (reading) {
            try {
                Map<String, Object> f = sender.poll(Duration.ofMillis(200));
                if (f == null) {
                    continue;
                }
                Object type = f.get("type");
                if ("ack".equals(type)) {
                    int n = Integer.parseInt(((String) f.get("id")).substring(2));
                    if (acked.put(n, ((Number) f.get("seq")).longValue()) != null) {
                        problems.add("acked twice: " + f);
                    }
                } else if (!"presence".equals(type)) {
                    problems.add("sender got " + f);
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void readMessages() {
        while (reading) {
            try {
                Map<String, Object> f = receiver.poll(Duration.ofMillis(200));
                if (f == null) {
                    continue;
                }
                if ("message".equals(f.get("type"))) {
                    int n = Integer.parseInt(((String) f.get("text")).substring("steady ".length()));
                    received.add(new long[] {((Number) f.get("seq")).longValue(), n});
                } else if (!"presence".equals(f.get("type"))) {
                    problems.add("receiver got " + f);
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    public int sent() {
        return sent.get();
    }

    /**
     * Stops sending, waits (within {@code wait}) for every ack and for the receiver to have every
     * acked message, then checks order: the receiver's seqs rise by one from the first, and the
     * message numbers with them.
     */
    public Outcome stop(Duration wait) throws InterruptedException {
        ticks.shutdown();
        ticks.awaitTermination(5, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + wait.toNanos();
        while (acked.size() < sent.get() && System.nanoTime() < deadline && !sender.isClosed()) {
            Thread.sleep(20); // polling a condition with a deadline: the acks arrive on their own thread
        }
        while (received.size() < acked.size() && System.nanoTime() < deadline && !receiver.isClosed()) {
            Thread.sleep(20);
        }
        reading = false;
        ackReader.join(2000);
        messageReader.join(2000);
        if (sender.isClosed() || receiver.isClosed()) {
            problems.add("a healthy client was closed: sender " + sender.isClosed() + ", receiver " + receiver.isClosed());
        }
        List<long[]> got;
        synchronized (received) {
            got = new ArrayList<>(received);
        }
        for (int i = 1; i < got.size(); i++) {
            if (got.get(i)[0] != got.get(i - 1)[0] + 1 || got.get(i)[1] <= got.get(i - 1)[1]) {
                problems.add("out of order or repeated at " + i + ": seq " + got.get(i - 1)[0] + " #" + got.get(i - 1)[1]
                        + " then seq " + got.get(i)[0] + " #" + got.get(i)[1]);
            }
        }
        Map<Integer, Long> seqOf = new java.util.HashMap<>();
        for (long[] m : got) {
            seqOf.put((int) m[1], m[0]);
        }
        List<Integer> lost = new ArrayList<>();
        acked.forEach((n, seq) -> {
            Long seen = seqOf.get(n);
            if (seen == null) {
                lost.add(n);
            } else if (!seen.equals(seq)) {
                problems.add("#" + n + " acked with seq " + seq + " but received with " + seen);
            }
        });
        java.util.Collections.sort(lost);
        if (acked.size() < sent.get()) {
            problems.add((sent.get() - acked.size()) + " sends never acked");
        }
        return new Outcome(sent.get(), acked.size(), got.size(), lost, List.copyOf(problems));
    }

    @Override
    public void close() {
        reading = false;
        ticks.shutdownNow();
        sender.close();
        receiver.close();
    }
}
