// Where the user stands in each conversation as the server counts it: the `rooms` of `welcome` and
// of a `rooms` reply, and `read` frames. DOM-free. The server's counts are the truth on every
// device; a live message of someone else adds one until the next count arrives.

/** The server counts up to this many: a count of this size means "at least". */
export const COUNT_CAP = 1000;

/**
 * One entry of a rooms list, checked: {room, seq, read, unread, mentions} or {with, …}; null
 * when it is malformed (a page never trusts a frame's shape).
 */
export function parseState(s, isRoomName, isUserName) {
  if (!s || typeof s !== "object") return null;
  const counts = ["seq", "read", "unread", "mentions"].every((k) => Number.isInteger(s[k]) && s[k] >= 0);
  if (!counts) return null;
  if (typeof s.room === "string" && isRoomName(s.room)) return { room: s.room, seq: s.seq, read: s.read, unread: s.unread, mentions: s.mentions };
  if (typeof s.with === "string" && isUserName(s.with)) return { with: s.with, seq: s.seq, read: s.read, unread: s.unread, mentions: s.mentions };
  return null;
}

/** Puts the server's counts on a conversation (a room or a direct one). */
export function applyCounts(conv, { unread, mentions, read }) {
  conv.unread = Math.min(unread, COUNT_CAP);
  conv.mentions = Math.min(mentions, COUNT_CAP);
  if (Number.isInteger(read) && (conv.readSeq == null || read > conv.readSeq)) conv.readSeq = read;
}

/** What a badge shows: the count, or "999+" from the cap on. */
export function badgeText(n) {
  return n >= COUNT_CAP ? "999+" : String(n);
}

/**
 * Whether the page should tell the server it has read the conversation up to `seq`: something
 * after what it last said it read, or counts that are not zero yet.
 */
export function readIsDue(conv, seq) {
  if (!Number.isInteger(seq) || seq <= 0) return false;
  return conv.readSeq == null || seq > conv.readSeq || conv.unread > 0 || (conv.mentions ?? 0) > 0;
}
