package dev.chat.store;

import dev.chat.event.RoomEvent;
import java.util.concurrent.CompletableFuture;

/**
 * The messages of every room and direct conversation, kept for good: the sequencer and the store
 * of record. {@link JdbcMessageStore} keeps them in SQLite or PostgreSQL.
 *
 * <p>Contract: {@link #append} never blocks; its future completes once the message is committed
 * (its seq is then final and gap-free in its room, on every node), or fails with
 * {@link StoreUnavailableException}. Futures of one room complete in seq order. The reads block
 * on the database, never longer than the pool's connection timeout, and fail at once with
 * {@link StoreUnavailableException} while the database is known to be down.
 */
public interface MessageStore {

    /**
     * A committed message with its seq. {@code duplicate} means the sender's id had been accepted in
     * the room within the dedupe window: nothing new was stored, and the seq is the first one's.
     */
    record Appended(RoomEvent.Posted message, boolean duplicate) { }

    /** Commits the message (its {@code seq} is ignored): the room's next seq, or the earlier one of a resent id. */
    CompletableFuture<Appended> append(RoomEvent.Posted message);

    /** Messages with seq above {@code afterSeq}, oldest first, at most {@code limit}, with the latest seq. */
    HistorySlice after(String room, long afterSeq, int limit);

    /** The newest messages with seq below {@code beforeSeq} (Long.MAX_VALUE: up to the latest), oldest first. */
    HistorySlice before(String room, long beforeSeq, int limit);

    /** A message as a change or reply needs to know it: who sent it, and whether it was deleted. */
    record Target(String sender, boolean deleted) { }

    /** The message (not a change event) with {@code seq} in the room, or null when there is none (or retention took it). */
    Target target(String room, long seq);

    /** The room's latest committed seq (0 for a room nobody wrote in). */
    long latestSeq(String room);

    /** The latest committed seq of each of these rooms that has one, in as few queries as the database allows. */
    java.util.Map<String, Long> latestSeqs(java.util.Collection<String> rooms);
}
