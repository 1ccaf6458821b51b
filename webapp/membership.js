// The user's conversations as the server keeps them: the rooms and direct conversations a welcome
// lists (the truth: rooms joined or left on another device while this page was away follow), the
// `membership` news of another device's join or leave, and the read state. The page tells the
// server what it has read (`read`, as the conversation in view shows its messages) and shows the
// server's unread and mention counts, which every device of the user gets.

import { ROOM_RE, isUserName } from "./protocol.js";
import { applyCounts, parseState, readIsDue } from "./read-state.js";
import * as session from "./session.js";
import { UNAVAILABLE_RETRY_MS } from "./sync.js";
import { dropOutbox } from "./messages.js";
import { removeRoom, renderRooms, saveRooms, switchTo } from "./sidebar.js";

/** A conversation in view tells the server it was read at most this often (the last read always goes). */
const READ_INTERVAL_MS = 1000;

const parse = (list) => (Array.isArray(list) ? list.map((s) => parseState(s, (r) => ROOM_RE.test(r), isUserName)).filter(Boolean) : []);

/**
 * The conversations of a welcome's `rooms` (absent when the server could not read them: then the
 * page keeps its own list). A room this page had from before (kept, or joined here) that the list
 * lacks was left on another device, or the user was removed meanwhile: it goes. A room the list
 * has that the page lacks was joined elsewhere: it comes (and is joined, for its latest messages).
 * A room asked for here and not answered yet stays, and the default room is joined on first use
 * (a list without rooms). Direct conversations are added, never dropped (one opened here has no
 * message yet, so the server does not know it). Counts are the server's.
 */
export function adopt(ctx, list) {
  const { chat } = ctx;
  if (!Array.isArray(list)) return;
  const states = parse(list);
  const listed = new Set(states.filter((s) => s.room).map((s) => s.room));
  for (const room of [...chat.rooms.values()]) {
    if (listed.has(room.name)) continue;
    const asked = !room.everJoined && !room.restored && !room.fallback;
    if (asked || (room.fallback && listed.size === 0)) continue;
    dropOutbox(ctx, room.key);
    removeRoom(ctx, room.name);
  }
  let dmsAdded = false;
  for (const s of states) {
    let conv;
    if (s.room) {
      conv = chat.get(s.room);
      if (!conv) {
        conv = chat.add(s.room);
        ctx.pane.ensure(s.room);
      }
      conv.fallback = false;
    } else {
      conv = chat.dm(s.with);
      if (!conv) {
        conv = chat.addDm(s.with);
        ctx.pane.ensure(conv.key);
        dmsAdded = true;
      }
    }
    applyCounts(conv, s);
  }
  if (dmsAdded) session.saveDms(chat.dmUsers());
  saveRooms(ctx);
  if (!chat.currentConversation && chat.firstKey()) switchTo(ctx, chat.firstKey(), { focus: false });
  else renderRooms(ctx);
}

/** Another device of the user joined or left a room: this page follows, without changing what it shows. */
export function onMembership(ctx, f) {
  const { chat } = ctx;
  if (typeof f.room !== "string" || !ROOM_RE.test(f.room)) return;
  const room = chat.get(f.room);
  if (f.state === "joined" && !room) {
    chat.add(f.room);
    ctx.pane.ensure(f.room);
    saveRooms(ctx);
    ctx.sync.join(f.room); // this connection is in the room already; the join brings its latest messages
    renderRooms(ctx);
  } else if (f.state === "left" && room) {
    dropOutbox(ctx, room.key);
    removeRoom(ctx, room.name);
    const message = `You left #${room.name} on another device.`;
    ctx.toast(message, "info");
    ctx.announce(message);
  }
}

/** The counts of a conversation moved: the answer to our `read`, or another device's. */
export function onRead(ctx, f) {
  const { chat } = ctx;
  ctx.sync.take(f.id);
  const conv = typeof f.room === "string" ? chat.get(f.room) : typeof f.with === "string" ? chat.dm(f.with) : null;
  const counts = { room: f.room, with: f.with, seq: f.seq, read: f.seq, unread: f.unread, mentions: f.mentions };
  if (!conv || !parse([counts]).length) return;
  // older than the read position this page told or heard since (our answer to an earlier read,
  // another device's that crossed ours): stale, as the server never moves a read position back
  if (conv.readSeq != null && conv.readSeq > f.seq) return;
  applyCounts(conv, counts);
  renderRooms(ctx);
}

/** The answer to `rooms`: the counts of every conversation (the list itself is the welcome's to change). */
export function onRooms(ctx, f) {
  ctx.sync.take(f.id);
  for (const s of parse(f.rooms)) {
    const conv = s.room ? ctx.chat.get(s.room) : ctx.chat.dm(s.with);
    if (conv) applyCounts(conv, s);
  }
  renderRooms(ctx);
}

/**
 * The conversation in view has shown its messages up to its gap-free seq: unless the page is
 * hidden, that is read, here at once and on the server, at most once per READ_INTERVAL_MS per
 * conversation. A read that is owed goes whether the conversation is in view or not (what was
 * shown was read): one due during the interval, when it is over; one that failed or was lost
 * with the connection (Sync.unread), at the next call (a retry, a rejoin, a new message).
 */
export function markRead(ctx, conv) {
  const { chat } = ctx;
  if (!conv) return;
  const seq = Math.max(inView(ctx, conv) ? conv.lastSeq ?? 0 : 0, conv.readDue ?? 0);
  if (!readIsDue(conv, seq) || !ctx.sync.isReady(conv.key)) return;
  const wait = conv.readSentAt + READ_INTERVAL_MS - Date.now();
  if (wait <= 0) return sendRead(ctx, conv, seq);
  conv.readDue = seq;
  if (conv.readTimer) return;
  conv.readTimer = setTimeout(() => {
    conv.readTimer = 0;
    if (ctx.chat === chat) markRead(ctx, conv);
  }, wait);
}

/** The conversation is in view in a tab that is seen. */
const inView = (ctx, conv) => conv.key === ctx.chat.current && document.visibilityState !== "hidden";

function sendRead(ctx, conv, seq) {
  if (!ctx.sync.read(conv, seq)) {
    conv.readDue = Math.max(conv.readDue ?? 0, seq); // offline: owed, it goes after the rejoin
    return;
  }
  if (conv.readDue != null && conv.readDue <= seq) conv.readDue = null;
  conv.readSentAt = Date.now();
  // out of view by now (a read that waited, or owed), news counted since stays until the server's answer
  const seen = inView(ctx, conv);
  applyCounts(conv, { unread: seen ? 0 : conv.unread, mentions: seen ? 0 : conv.mentions, read: seq });
  renderRooms(ctx);
}

/** Our read was refused: it is owed again; `unavailable` and `rate_limited` go again after a pause. */
export function readRefused(ctx, p, code) {
  ctx.sync.unread(p);
  if (code !== "unavailable" && code !== "rate_limited") return;
  const chat = ctx.chat;
  setTimeout(() => {
    if (ctx.chat === chat) markRead(ctx, chat.byKey(p.key));
  }, UNAVAILABLE_RETRY_MS);
}

export function wire(ctx) {
  const readCurrent = () => ctx.chat && markRead(ctx, ctx.chat.currentConversation);
  document.addEventListener("visibilitychange", readCurrent);
  window.addEventListener("focus", readCurrent);
}
