// The page's sync with the server, without the DOM: requests in flight, own messages until their
// ack (the outbox: paced, and sent again with the same id after an outage), the seqs kept per
// conversation, and what a welcome and a rejoin send. Whatever shows the outcome (a message
// marked sent or failed, a loading line) is the caller's: these methods say what changed, and an
// outbox entry's `el` is only the caller's handle on its message.

import { SendPacer } from "./pacer.js";
import { newId } from "./protocol.js";
import * as session from "./session.js";

/** A send refused with `unavailable` (the database unreachable) or `rate_limited` is sent again, same id, after this pause. */
export const UNAVAILABLE_RETRY_MS = 3000;
const HISTORY_PAGE = 50;
/** A gap seen in the live stream is fetched in pages of at most this many (the gap's size when smaller). */
const REPAIR_PAGE_MAX = 100;

const conversations = (chat) => [...chat.rooms.values(), ...chat.dms.values()];

export class Sync {
  #chat;
  #send;
  #isOpen;
  /** In-flight requests other than sends, by id: {kind: "join"|"leave"|"history"|"create"|"invite"|"read"|"change", room?, key?, mode?, change?} */
  #pending = new Map();
  /**
   * Own messages not acked yet, by request id, in the order they were written:
   * {key, room?, to?, text, el, sentIn}. They survive a lost connection and are
   * sent again, with the same id, once their conversation is back.
   */
  #outbox = new Map();
  #outboxRetryTimer = 0;
  /** Counts welcomes: an own message is sent at most once per connection unless a retry is due. */
  #connGeneration = 0;
  #seqsDue = false;
  /** Own messages go out through this, within the server's rate limit (see pacer.js). */
  #pacer = new SendPacer((id) => this.#sendEntry(id));

  /**
   * chat()      -> the session's ChatState, or null once it ended
   * send(frame) -> true when the frame went out (false without an open connection)
   * isOpen()    -> whether the connection is open
   */
  constructor({ chat, send, isOpen }) {
    this.#chat = chat;
    this.#send = send;
    this.#isOpen = isOpen;
  }

  /** The server's rate limit (api/protocol's `rate`) for own messages. */
  setRate(rate) {
    this.#pacer.setRate(rate);
  }

  /** A new session, or none: no request in flight, no own message waiting. */
  reset() {
    this.#pending.clear();
    this.clearOutbox();
  }

  // ---------- requests ----------

  /** The request with this id, now answered (null when it is none of ours). */
  take(id) {
    if (typeof id !== "string" || !this.#pending.has(id)) return null;
    const p = this.#pending.get(id);
    this.#pending.delete(id);
    return p;
  }

  /** Joins a room, from its gap-free seq when it has one; what the server replays waits for `joined`. */
  join(name) {
    const room = this.#chat().get(name);
    const id = newId("j");
    const frame = { type: "join", room: name, id };
    if (room && room.lastSeq !== null) {
      frame.since = room.lastSeq;
      room.replayBuffer = [];
    }
    this.#pending.set(id, { kind: "join", room: name });
    if (!this.#send(frame)) {
      this.#pending.delete(id);
      if (room) room.replayBuffer = null;
    }
  }

  /** True when the leave went out. */
  leave(name) {
    return this.#request("l", { kind: "leave", room: name }, { type: "leave", room: name });
  }

  create(name) {
    this.#request("k", { kind: "create", room: name }, { type: "create", room: name, private: true });
  }

  /** True when the invitation went out. */
  invite(room, user) {
    return this.#request("i", { kind: "invite", room, user }, { type: "invite", room, user });
  }

  /** Tells the server the conversation is read up to `seq`; true when it went out. */
  read(conv, seq) {
    return this.#request("r", { kind: "read", key: conv.key, seq, previous: conv.readSeq }, { type: "read", seq }, conv);
  }

  /**
   * A read that failed or was lost with the connection: unless the position moved on since (a
   * later read, another device's), it is as before it, and the read is owed (readDue).
   */
  unread(p) {
    const conv = this.#chat()?.byKey(p.key);
    if (!conv || conv.readSeq !== p.seq) return;
    conv.readSeq = p.previous;
    conv.readSentAt = 0;
    conv.readDue = Math.max(conv.readDue ?? 0, p.seq);
  }

  /**
   * An edit, delete or reaction (`frame` without its conversation, which `conv` gives); the pending
   * request keeps it, for its ack to apply it here (the server sends a change to the author's
   * other connections, not to the one that made it). True when it went out. A change is no
   * message of the outbox: made offline, it is refused at once rather than kept.
   */
  change(conv, frame) {
    return this.#request("x", { kind: "change", key: conv.key, change: frame }, frame, conv);
  }

  /** The latest page of a direct conversation (no `before`), merged into what is shown. */
  requestLatest(dm) {
    this.#request("h", { kind: "history", key: dm.key, mode: "latest" }, { type: "history", with: dm.user, limit: HISTORY_PAGE });
  }

  /** The page before `before`, to prepend; true when it was asked for (then `loadingOlder`). */
  requestOlder(conv, before) {
    const frame = { type: "history", before, limit: HISTORY_PAGE };
    if (!this.#request("h", { kind: "history", key: conv.key, mode: "older" }, frame, conv)) return false;
    conv.loadingOlder = true;
    return true;
  }

  /**
   * Asks for the missing stretch just above the gap-free seq (`gap` is conv.gap()): the page just
   * below the lowest seq seen above the gap (or just above the highest known one). A gap the server
   * did not replay (`filling`) goes by HISTORY_PAGE; one seen in the live stream asks for just its
   * size, at most REPAIR_PAGE_MAX. True when it was asked for (then `repairing`: one per conversation).
   */
  requestGap(conv, gap) {
    const before = gap.to + 1;
    const limit = conv.filling ? HISTORY_PAGE : Math.min(before - gap.from, REPAIR_PAGE_MAX);
    const frame = { type: "history", before, limit };
    if (!this.#request("g", { kind: "history", key: conv.key, mode: "gap", before, limit }, frame, conv)) return false;
    conv.repairing = true;
    return true;
  }

  /** Sends `frame` with a new id (and, for a history request, its conversation); true when it went out. */
  #request(kind, pending, frame, conv = null) {
    const id = newId(kind);
    const out = { ...frame, id };
    if (conv?.kind === "room") out.room = conv.name;
    else if (conv) out.with = conv.user; // history, read and changes name a direct conversation by the other user
    this.#pending.set(id, pending);
    if (this.#send(out)) return true;
    this.#pending.delete(id);
    return false;
  }

  // ---------- connection lifecycle ----------

  /** A welcome: a new connection, on which every own message may go once more, with a full bucket. */
  connected() {
    this.#connGeneration += 1;
    this.#pacer.reset(); // a fresh bucket on the server too
  }

  /**
   * What a welcome sends: every room rejoined from where it left off, every direct conversation's
   * latest page asked for. Another epoch means the server's history was replaced (a new database):
   * the seqs kept here belong to the old one, so every conversation starts over (its seqs forgotten,
   * then startOver(conv) for what it shows). This is the only case that does.
   */
  rejoin(epoch, startOver) {
    const chat = this.#chat();
    if (typeof epoch === "string") {
      const known = session.loadEpoch();
      if (known !== null && known !== epoch) {
        for (const conv of conversations(chat)) {
          if (conv.lastSeq === null) continue;
          conv.resetSeqs(null);
          startOver(conv);
        }
        this.saveSeqs();
      }
      session.saveEpoch(epoch);
    }
    for (const name of chat.names()) this.join(name);
    // Direct conversations need no join: fetch their latest page and merge it.
    for (const dm of chat.dms.values()) this.requestLatest(dm);
  }

  /**
   * A room's `joined`: a fresh view's knowledge starts at the room's seq; otherwise the seqs up to
   * it are known to exist. With `recovered:false` the gap below the replay is filled from the history.
   */
  joined(room, seq, recovered) {
    if (room.lastSeq === null) room.skipTo(seq);
    else room.know(seq);
    if (recovered === false) room.filling = true;
    this.saveSeqs();
  }

  /**
   * Socket lost: requests in flight will never be answered, but own messages stay
   * pending; they are sent again (same id) once their room is rejoined.
   */
  disconnected() {
    // newest first: each read lost puts back the position its own request found
    for (const p of [...this.#pending.values()].reverse()) if (p.kind === "read") this.unread(p);
    this.#pending.clear();
    const chat = this.#chat();
    if (!chat) return;
    for (const room of chat.rooms.values()) {
      room.status = "joining";
      room.replayBuffer = null;
      room.loadingOlder = false;
      room.repairing = false;
    }
    for (const dm of chat.dms.values()) {
      dm.synced = false;
      dm.loadingOlder = false;
      dm.repairing = false;
    }
  }

  /** A room once joined on this connection; a direct conversation once its latest page is merged. */
  isReady(key) {
    const conv = this.#chat()?.byKey(key);
    if (!conv || !this.#isOpen()) return false;
    return conv.kind === "room" ? conv.status === "joined" : conv.synced;
  }

  // ---------- own messages ----------

  /** Queues an own message (target: {key, room?, to?, replyTo?}) under its request id until it is acked, across reconnects. */
  queue(id, target, text, el) {
    const entry = { ...target, text, el, sentIn: 0 };
    this.#outbox.set(id, entry);
    if (this.isReady(entry.key)) this.#pacer.push(id);
  }

  /** The ack of an own message: its seq counts as seen. The entry, or null (a second ack for a resent message). */
  ack(id, seq) {
    const entry = typeof id === "string" ? this.#outbox.get(id) : null;
    if (!entry) return null;
    this.#outbox.delete(id);
    const conv = this.#chat().byKey(entry.key);
    if (conv && typeof seq === "number") {
      conv.markSeq(seq);
      this.saveSeqs();
    }
    return entry;
  }

  /**
   * One of our own pending messages came back from the history or a gap fill (it was stored but
   * its ack was lost with the connection, or answered `unavailable`): it is sent, not a second
   * message. The entry, now out of the outbox, or null when `f` is none of ours.
   */
  echoed(conv, f) {
    const entry = typeof f.id === "string" ? this.#outbox.get(f.id) : null;
    if (!entry || entry.key !== conv.key) return null;
    this.#outbox.delete(f.id);
    conv.markSeq(f.seq);
    this.saveSeqs();
    return entry;
  }

  /**
   * An error answering an own message: null when `id` is none. `unavailable` (the cluster cannot
   * store it now) or `rate_limited` (dropped unread, over the connection's bucket): it stays
   * pending and goes again, same id, after a pause ({entry, retry: true}). Else it leaves the
   * outbox ({entry, retry: false}): failed, for the caller to offer Retry.
   */
  refuse(id, code) {
    const entry = typeof id === "string" ? this.#outbox.get(id) : null;
    if (!entry) return null;
    if (code === "unavailable" || code === "rate_limited") {
      entry.sentIn = 0;
      this.#scheduleOutboxRetry();
      return { entry, retry: true };
    }
    this.#outbox.delete(id);
    return { entry, retry: false };
  }

  /**
   * Sends (again, same id) every message of one conversation not yet sent on this connection, in the
   * order they were written, paced: after an outage they may be many more than the server's burst.
   */
  flush(key) {
    if (!this.isReady(key)) return;
    for (const [id, entry] of this.#outbox) {
      if (entry.key === key && entry.sentIn !== this.#connGeneration) this.#pacer.push(id);
    }
  }

  /** Forgets the pending messages of a conversation we are no longer in (left, removed); returns them. */
  drop(key) {
    const dropped = [];
    for (const [id, entry] of this.#outbox) {
      if (entry.key !== key) continue;
      this.#outbox.delete(id);
      dropped.push(entry);
    }
    return dropped;
  }

  clearOutbox() {
    this.#outbox.clear();
    this.#pacer.clear();
    clearTimeout(this.#outboxRetryTimer);
    this.#outboxRetryTimer = 0;
  }

  /**
   * The pacer's turn for an own message: sends it unless it has been acked, was sent on this
   * connection already, or its conversation is not ready (then it is queued again once it is).
   * True when a frame went out.
   */
  #sendEntry(id) {
    const entry = this.#outbox.get(id);
    if (!entry || entry.sentIn === this.#connGeneration || !this.isReady(entry.key)) return false;
    const frame = entry.room ? { type: "send", room: entry.room, text: entry.text, id } : { type: "send", to: entry.to, text: entry.text, id };
    if (typeof entry.replyTo === "number") frame.replyTo = entry.replyTo;
    if (!this.#send(frame)) return false;
    entry.sentIn = this.#connGeneration;
    return true;
  }

  #scheduleOutboxRetry() {
    if (this.#outboxRetryTimer) return;
    this.#outboxRetryTimer = setTimeout(() => {
      this.#outboxRetryTimer = 0;
      const keys = new Set([...this.#outbox.values()].filter((e) => e.sentIn === 0).map((e) => e.key));
      for (const key of keys) this.flush(key);
    }, UNAVAILABLE_RETRY_MS);
  }

  // ---------- seqs ----------

  /** The seqs this tab kept (a reload): each conversation goes on from its gap-free seq. */
  restoreSeqs() {
    const seqs = session.loadSeqs();
    for (const conv of conversations(this.#chat())) if (conv.key in seqs) conv.skipTo(seqs[conv.key]);
  }

  /**
   * Saves every conversation's last seq, once per turn of the event loop however many messages
   * arrived in it (a replay or a coalesced frame brings dozens), not once per message.
   */
  saveSeqs() {
    if (this.#seqsDue) return;
    this.#seqsDue = true;
    queueMicrotask(() => {
      this.#seqsDue = false;
      const chat = this.#chat();
      if (!chat) return; // the session ended in the same turn; it cleared the storage
      const seqs = {};
      for (const conv of conversations(chat)) if (conv.lastSeq !== null) seqs[conv.key] = conv.lastSeq;
      session.saveSeqs(seqs);
    });
  }
}
