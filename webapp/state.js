// Client-side model of the conversations we are in: rooms and direct messages. No DOM here.

/** Pane key of a direct-message conversation; room names cannot contain "@", so keys never clash. */
export const dmKey = (user) => `@${user}`;

/** What rooms and DM conversations share: unread count, seq bookkeeping, history paging. */
class Conversation {
  constructor(name) {
    this.name = name;
    this.seenSeqs = new Set(); // de-duplication of messages by seq
    /** Highest seq seen (or the room's seq when joined); the `since` of the next rejoin. */
    this.lastSeq = null;
    this.unread = 0;
    /** Older history: a request is in flight / the server has nothing older. */
    this.loadingOlder = false;
    this.exhausted = false;
  }

  /** Returns false if this seq was already shown (duplicate). */
  markSeq(seq) {
    if (typeof seq !== "number") return true; // cannot de-duplicate without a seq
    if (this.seenSeqs.has(seq)) return false;
    this.seenSeqs.add(seq);
    if (this.lastSeq === null || seq > this.lastSeq) this.lastSeq = seq;
    return true;
  }

  /** Forget every seq: the server's history started over (restart) or has a gap we cannot fill. */
  resetSeqs(lastSeq = null) {
    this.seenSeqs.clear();
    this.lastSeq = lastSeq;
    this.exhausted = false;
    this.loadingOlder = false;
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
