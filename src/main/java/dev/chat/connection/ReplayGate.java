package dev.chat.connection;

import dev.chat.protocol.EncodedFrame;
import java.util.ArrayList;
import java.util.List;

/**
 * Holds a room's live frames for one connection while its join replays the history, then lets
 * through, in order, only those the replay did not already contain (by seq). So a message that
 * arrives during the replay is neither lost nor sent twice.
 */
public final class ReplayGate {
    private final List<EncodedFrame> frames = new ArrayList<>();
    private final List<Long> seqs = new ArrayList<>();
    private final int capacity;
    private boolean open = true;

    ReplayGate(int capacity) {
        this.capacity = capacity;
    }

    /**
     * Holds the frame if the gate is still up. @return false when the gate is down (send it
     * directly), or when it is full (the joiner is not keeping up: treated as a slow consumer).
     */
    synchronized Hold hold(EncodedFrame frame, long seq) {
        if (!open) {
            return Hold.PASSED;
        }
        if (frames.size() >= capacity) {
            return Hold.FULL;
        }
        frames.add(frame);
        seqs.add(seq);
        return Hold.HELD;
    }

    enum Hold { HELD, PASSED, FULL }

    /** Sends what was held after {@code replayedUpTo} (presence, seq 0, always), then lets frames pass. */
    synchronized void release(Outbox outbox, long replayedUpTo) {
        for (int i = 0; i < frames.size(); i++) {
            long seq = seqs.get(i);
            if (seq == 0 || seq > replayedUpTo) {
                outbox.offer(frames.get(i));
            }
        }
        frames.clear();
        open = false;
    }
}
