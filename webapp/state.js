// Client-side model of the conversations we are in: rooms and direct messages. No DOM here.

/** Pane key of a direct-message conversation; room names cannot contain "@", so keys never clash. */
export const dmKey = (user) => `@${user}`;

/**
 * What rooms and DM conversations share: unread count, seq bookkeeping, history paging.
 *
 * Seqs: `seenSeqs` holds every seq shown or acked here (de-duplication); `lastSeq` is the highest
 * seq S such that every seq from the first one this page knows up to S has been seen, or is known
 * to be gone from the server's history. Acks and messages that arrive out of order are remembered,
 * but move S only once the seqs below them are there, so S is always a safe `since`.
 */
class Conversation {
  /** Seen seqs above lastSeq, waiting for the missing ones below them. */
  #ahead = new Set();

  constructor(name) {
    this.name = name;
    this.seenSeqs = new Set(); // de-duplication of messages by seq
    /** Highest gap-free seq (see above), or null before the first join or page; the `since` of the next rejoin. */
    this.lastSeq = null;
    /** Highest seq known to exist (seen, acked, or the room's seq in `joined`), or null. */
    this.knownSeq = null;
    this.unread = 0;
    /** Messages after the read position that mention the user (the server's count, see read-state.js). */
    this.mentions = 0;
    /** The read position as this page last told or heard it, or null; readSentAt/readTimer pace `read` (membership.js). */
    this.readSeq = null;
    this.readSentAt = 0;
    this.readTimer = 0;
    this.readDue = null;
    /** Older history: a request is in flight / the server has nothing older. */
    this.loadingOlder = false;
    this.exhausted = false;
    /** A history request for the gap above lastSeq is in flight (at most one per conversation). */
    this.repairing = false;
    /** The gap is one the server did not replay (a rejoin's `recovered:false`): filled page by page, under a notice. */
    this.filling = false;
  }

  /** Returns false if this seq was already shown (duplicate). */
  markSeq(seq) {
    if (typeof seq !== "number") return true; // cannot de-duplicate without a seq
    if (this.seenSeqs.has(seq)) return false;
    this.seenSeqs.add(seq);
    this.know(seq);
    if (this.lastSeq === null || seq > this.lastSeq) {
      this.#ahead.add(seq);
      this.#advance();
    }
    return true;
  }

  /** Raises the highest seq known to exist, e.g. to the room's latest seq from `joined`. */
  know(seq) {
    if (typeof seq === "number" && (this.knownSeq === null || seq > this.knownSeq)) this.knownSeq = seq;
  }

  /**
   * Counts every seq up to `seq` as accounted for: where this page's knowledge starts (a join
   * without `since`, a DM's first page), or past a stretch the server's history no longer has.
   */
  skipTo(seq) {
    if (typeof seq !== "number" || (this.lastSeq !== null && seq <= this.lastSeq)) return;
    this.lastSeq = seq;
    this.know(seq);
    for (const s of this.#ahead) if (s <= seq) this.#ahead.delete(s);
    this.#advance();
  }

  /**
   * The missing stretch just above lastSeq, {from, to} inclusive: up to the lowest seq seen
   * above it, or up to the highest one known to exist. Null when there is none (or no base yet).
   */
  gap() {
    if (this.lastSeq === null || this.knownSeq === null || this.knownSeq <= this.lastSeq) return null;
    let to = this.knownSeq;
    for (const s of this.#ahead) if (s - 1 < to) to = s - 1;
    return { from: this.lastSeq + 1, to };
  }

  #advance() {
    if (this.lastSeq === null) return;
    while (this.#ahead.delete(this.lastSeq + 1)) this.lastSeq += 1;
  }

  /** Forget every seq: the server's history was replaced (another epoch). */
  resetSeqs(lastSeq = null) {
    this.seenSeqs.clear();
    this.#ahead.clear();
    this.lastSeq = lastSeq;
    this.knownSeq = lastSeq;
    this.exhausted = false;
    this.loadingOlder = false;
    this.repairing = false;
    this.filling = false;
    this.readSeq = null;
    this.readSentAt = 0;
  }
}

export class Room extends Conversation {
  constructor(name) {
    super(name);
    this.kind = "room";
    this.key = name;
    /** "joining" until the server's "joined" (or "created") reply, then "joined". */
    this.status = "joining";
    this.everJoined = false;
    /** Created by us (private or not): we may invite. */
    this.owned = false;
    this.members = new Set();
    /** Messages received while a rejoin with `since` is in flight, rendered once `joined` says whether the gap was recovered. */
    this.replayBuffer = null;
    /** user -> timer that hides "user is typing…". */
    this.typing = new Map();
  }
}

export class DirectConversation extends Conversation {
  constructor(user) {
    super(user);
    this.kind = "dm";
    this.key = dmKey(user);
    this.user = user;
    /** Whether the latest history page was fetched on this connection. */
    this.synced = false;
  }
}

export class ChatState {
  constructor(me) {
    this.me = me;
    /** Insertion-ordered: the room list renders in this order. */
    this.rooms = new Map();
    /** user -> DirectConversation, insertion-ordered. */
    this.dms = new Map();
    /** Pane key of the conversation in view: a room name or dmKey(user). */
    this.current = null;
  }

  get(name) {
    return this.rooms.get(name) || null;
  }

  dm(user) {
    return this.dms.get(user) || null;
  }

  /** The room or DM conversation with this pane key. */
  byKey(key) {
    if (typeof key !== "string") return null;
    return key.startsWith("@") ? this.dm(key.slice(1)) : this.get(key);
  }

  get currentConversation() {
    return this.byKey(this.current);
  }

  add(name) {
    let room = this.rooms.get(name);
    if (!room) {
      room = new Room(name);
      this.rooms.set(name, room);
    }
    return room;
  }

  addDm(user) {
    let dm = this.dms.get(user);
    if (!dm) {
      dm = new DirectConversation(user);
      this.dms.set(user, dm);
    }
    return dm;
  }

  /** Removes a room; when it was in view, the first remaining room (or DM) comes into view. */
  remove(name) {
    this.rooms.delete(name);
    if (this.current === name) this.current = this.firstKey();
  }

  firstKey() {
    const room = this.rooms.keys().next().value;
    if (room !== undefined) return room;
    const dm = this.dms.values().next().value;
    return dm ? dm.key : null;
  }

  names() {
    return [...this.rooms.keys()];
  }

  dmUsers() {
    return [...this.dms.keys()];
  }

  totalUnread() {
    let n = 0;
    for (const r of this.rooms.values()) n += r.unread;
    for (const d of this.dms.values()) n += d.unread;
    return n;
  }
}
