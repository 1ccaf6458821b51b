package dev.chat.store;

import dev.chat.event.RoomEvent;
import java.util.List;

/**
 * A read of a room's history: some messages, oldest first, with the room's latest seq and the
 * oldest seq the history still holds (0 when it holds none) at the time of the read.
 */
public record HistorySlice(List<RoomEvent.Posted> messages, long latestSeq, long oldestSeq) {
    public static final HistorySlice EMPTY = new HistorySlice(List.of(), 0, 0);

    public HistorySlice {
        messages = List.copyOf(messages);
    }
}
