// Client-side model of the rooms we are in. No DOM here.

export class Room {
  constructor(name) {
    this.name = name;
    /** "joining" until the server's "joined" reply, then "joined". */
    this.status = "joining";
    this.everJoined = false;
    this.members = new Set();
    this.seenSeqs = new Set(); // de-duplication of messages by seq
    this.unread = 0;
  }

  /** Returns false if this seq was already shown (duplicate). */
  markSeq(seq) {
    if (typeof seq !== "number") return true; // cannot de-duplicate without a seq
    if (this.seenSeqs.has(seq)) return false;
    this.seenSeqs.add(seq);
    return true;
  }
}

export class ChatState {
  constructor(me) {
    this.me = me;
    /** Insertion-ordered: the room list renders in this order. */
    this.rooms = new Map();
    this.current = null;
  }

  get(name) {
    return this.rooms.get(name) || null;
  }

  add(name) {
    let room = this.rooms.get(name);
    if (!room) {
      room = new Room(name);
      this.rooms.set(name, room);
    }
    return room;
  }

  remove(name) {
    this.rooms.delete(name);
    if (this.current === name) this.current = this.rooms.keys().next().value ?? null;
  }

  names() {
    return [...this.rooms.keys()];
  }

  totalUnread() {
    let n = 0;
    for (const r of this.rooms.values()) n += r.unread;
    return n;
  }
}
