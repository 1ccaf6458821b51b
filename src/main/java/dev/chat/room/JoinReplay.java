package dev.chat.room;

import dev.chat.event.RoomEvent;
import dev.chat.protocol.EncodedFrame;
import dev.chat.protocol.ProtocolCodec;
import dev.chat.store.HistorySlice;
import dev.chat.store.MessageStore;
import java.util.ArrayList;
import java.util.List;

/**
 * What a join sends before {@code joined}: the gap after {@code since} when the store holds it
 * whole and it is at most the replay limit; otherwise (or without {@code since}) the latest
 * {@code historyOnJoin}, a fresh view from which the client pages back with {@code history}. Reads
 * the store; called outside any room lock.
 */
final class JoinReplay {
    private static final int BATCH_CHARS = 64 * 1024;

    private final MessageStore store;
    private final int replayLimit;
    private final int historyOnJoin;

    JoinReplay(MessageStore store, int replayLimit, int historyOnJoin) {
        this.store = store;
        this.replayLimit = replayLimit;
        this.historyOnJoin = historyOnJoin;
    }

    /** Message batches, the latest seq, and whether the gap was recovered (null without {@code since}). */
    record Replay(List<EncodedFrame> batches, long latest, Boolean recovered) { }

    /** @throws dev.chat.store.StoreUnavailableException when the store cannot be read */
    Replay of(String name, Long since) {
        return of(name, since, Long.MAX_VALUE);
    }

    /**
     * The replay of a connection whose live messages of the room started after {@code upTo} (it is
     * in the room by its user's membership): only what came up to there, since the rest reached it
     * live. {@link Replay#latest} is still the room's latest seq.
     *
     * @throws dev.chat.store.StoreUnavailableException when the store cannot be read
     */
    Replay of(String name, Long since, long upTo) {
        if (since != null) {
            HistorySlice slice = store.after(name, since, replayLimit);
            long end = Math.min(slice.latestSeq(), upTo);
            long gap = end - since;
            List<RoomEvent.Posted> got = slice.messages().stream().filter(p -> p.seq() <= end).toList();
            if (gap <= 0 && upTo != Long.MAX_VALUE) {
                return new Replay(List.of(), slice.latestSeq(), Boolean.TRUE); // it has all that came before its live messages
            }
            if (gap >= 0 && got.size() == gap && (gap == 0 || got.get(0).seq() == since + 1)) {
                return new Replay(batches(got), slice.latestSeq(), Boolean.TRUE);
            }
        }
        HistorySlice latest = store.before(name, upTo == Long.MAX_VALUE ? Long.MAX_VALUE : upTo + 1, historyOnJoin);
        long roomLatest = upTo == Long.MAX_VALUE ? latest.latestSeq() : store.latestSeq(name);
        return new Replay(batches(latest.messages()), roomLatest, since == null ? null : Boolean.FALSE);
    }

    /** Replayed messages as frames of up to 64 KiB, objects separated by newlines as protocol v1 allows. */
    private static List<EncodedFrame> batches(List<RoomEvent.Posted> messages) {
        List<EncodedFrame> out = new ArrayList<>();
        StringBuilder sb = new StringBuilder();
        for (RoomEvent.Posted p : messages) {
            String json = ProtocolCodec.encode(WireMessages.of(p, true)).json();
            if (sb.length() > 0 && sb.length() + 1 + json.length() > BATCH_CHARS) {
                out.add(EncodedFrame.of(sb.toString()));
                sb.setLength(0);
            }
            if (sb.length() > 0) {
                sb.append('\n');
            }
            sb.append(json);
        }
        if (sb.length() > 0) {
            out.add(EncodedFrame.of(sb.toString()));
        }
        return out;
    }
}
