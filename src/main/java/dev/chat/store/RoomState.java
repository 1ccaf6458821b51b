package dev.chat.store;

/**
 * Where one user stands in one conversation: its latest seq, the user's read position, and how
 * many messages after it others sent ({@code unread}) and mention the user ({@code mentions}).
 * Both counts stop at {@link Memberships#COUNT_CAP}: the cost of counting is bounded by it, not by
 * the history's length.
 */
public record RoomState(String room, long seq, long read, long unread, long mentions) { }
