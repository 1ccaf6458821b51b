// The message list of each conversation: messages and their changes (live, replayed, paged, filling
// a gap) put in by seq, own messages until their ack, the lines that say where messages are missing,
// older pages on scroll, and the typing line below the list. What is sent and which seqs are seen
// is ctx.sync's; this module shows it.

import { CHANGE_TYPES, isUserName, newId } from "./protocol.js";
import * as view from "./view.js";
import * as messageView from "./message-view.js";

/** "alice is typing…" disappears this long after alice's last typing frame. */
const TYPING_SHOW_MS = 5000;
/** Scrolled this close to the top of the list: load the previous page. */
const LOAD_OLDER_THRESHOLD_PX = 40;
/** Stays where messages are missing for good: the server's history no longer holds them (retention), or it was replaced. */
const GAP_NOTICE = "Some messages could not be recovered";
/** Marks a gap while it is being filled from the history; removed once filled. */
const FILL_NOTICE = "Loading earlier messages…";

const truncate = (s, n) => (s.length > n ? `${s.slice(0, n)}…` : s);
/** A conversation as the page names it: "#room" or "@user". */
export const title = (conv) => (conv.kind === "dm" ? `@${conv.user}` : `#${conv.name}`);

/** A line of the conversation's own ("You joined #x", "bob left"), read out when it is in view and announceIt. */
export function addSystemLine(ctx, key, text, announceIt) {
  const { chat } = ctx;
  if (!chat.byKey(key)) return;
  ctx.pane.append(key, view.createSystemLine(text), new Date());
  if (announceIt && key === chat.current) ctx.announce(`${text} ${title(chat.byKey(key))}`);
}

/** The conversation a frame belongs to: its room, or for a direct message (or a change of one) the other user. */
function conversationOf(ctx, f) {
  const { chat } = ctx;
  if (typeof f.room === "string") return chat.get(f.room);
  const actor = f.from ?? f.by;
  const other = actor === chat.me ? f.to : actor;
  if (!isUserName(other)) return null;
  return ctx.openDmState(other);
}

// =====================================================================
// Messages and changes
// =====================================================================

/** One event of a conversation, from a replay, a history page or a gap fill: a message, or a change of one. */
export function showEvent(ctx, conv, f, options) {
  return CHANGE_TYPES.has(f.type) ? applyChange(ctx, conv, f) : showMessage(ctx, conv, f, options);
}

/** A live edit, delete or reaction: applied to the message it changes, in seq order like a message. */
export function onChange(ctx, f) {
  const conv = conversationOf(ctx, f);
  if (!conv || typeof f.seq !== "number") return;
  if (conv.kind === "room" && conv.replayBuffer) {
    conv.replayBuffer.push(f);
    return;
  }
  const skipped = conv.lastSeq !== null && f.seq > conv.lastSeq + 1;
  applyChange(ctx, conv, f);
  if (skipped) repairGap(ctx, conv);
}

/**
 * Applies a change to the message it targets, if it is shown (a message shown later comes from
 * the server as it stands, this change included), and counts its seq as seen. Applying one again
 * changes nothing: an edit sets the text, a delete the deletion, a reaction whether it is there.
 */
export function applyChange(ctx, conv, f) {
  const { chat } = ctx;
  if (typeof f.seq !== "number" || !conv.markSeq(f.seq)) return false;
  ctx.sync.saveSeqs();
  const li = ctx.pane.bySeq(conv.key, f.target);
  if (!li || li.classList.contains("deleted")) return true;
  if (f.type === "edited" && typeof f.text === "string") {
    messageView.setText(li, { text: f.text, mentions: mentionsOf(li), me: chat.me, edited: f.ts });
  } else if (f.type === "deleted") {
    messageView.setText(li, { deleted: true });
    reactionsOf.delete(li);
  } else if (f.type === "reaction" && typeof f.emoji === "string" && typeof f.from === "string") {
    const reactions = reactionsOf.get(li) ?? new Map();
    const users = (reactions.get(f.emoji) ?? []).filter((u) => u !== f.from);
    if (f.on === true) users.push(f.from);
    reactions.set(f.emoji, users);
    reactionsOf.set(li, reactions);
    messageView.renderReactions(li, reactions, chat.me);
  }
  return true;
}

/** Replies shown before the message they answer (a page of history, a replay) get its snippet once it is there. */
export function resolveQuotes(ctx, conv) {
  const box = ctx.pane.box(conv.key);
  if (box) messageView.resolveQuotes(box, (seq) => ctx.pane.bySeq(conv.key, seq));
}

/** Each shown message's reactions as they stand: emoji -> users, in the order they reacted. */
const reactionsOf = new WeakMap();

const mentionsOf = (li) => (li.dataset.mentions ? li.dataset.mentions.split("\n") : []);

/**
 * A message element with everything the server says of it: the quote of what it answers, its
 * text with mentions marked (or its deletion), "(edited)", its reactions.
 */
export function createMessageElement(ctx, conv, f, from) {
  const { chat, pane } = ctx;
  const date = view.parseTs(f.ts);
  const deleted = f.deleted === true;
  const text = typeof f.text === "string" ? f.text : "";
  const el = view.createMessage({ from, text, date, seq: f.seq, own: from === chat.me });
  const mentions = Array.isArray(f.mentions) ? f.mentions.filter((n) => typeof n === "string") : [];
  if (mentions.length) el.dataset.mentions = mentions.join("\n");
  messageView.setText(el, { text, mentions, me: chat.me, edited: typeof f.edited === "string" ? f.edited : null, deleted });
  if (typeof f.replyTo === "number") {
    el.dataset.replyTo = String(f.replyTo);
    el.querySelector(".meta").after(messageView.replyQuote(f.replyTo, messageView.snippetOf(pane.bySeq(conv.key, f.replyTo))));
  }
  if (!deleted) el.append(messageView.actions(from === chat.me));
  if (!deleted && f.reactions && typeof f.reactions === "object") {
    const reactions = new Map();
    for (const [emoji, users] of Object.entries(f.reactions)) {
      if (Array.isArray(users)) reactions.set(emoji, users.filter((u) => typeof u === "string"));
    }
    reactionsOf.set(el, reactions);
    messageView.renderReactions(el, reactions, chat.me);
  }
  return el;
}

export function onMessage(ctx, f) {
  const conv = conversationOf(ctx, f);
  if (!conv || (typeof f.text !== "string" && f.deleted !== true)) return;
  // A rejoin's replay waits for `joined`, which says whether it closes the gap or starts over.
  if (conv.kind === "room" && conv.replayBuffer) {
    conv.replayBuffer.push(f);
    return;
  }
  // Skipping ahead of the gap-free seq (shown up to 10, then 13) means 11 and 12 went missing.
  const skipped = typeof f.seq === "number" && conv.lastSeq !== null && f.seq > conv.lastSeq + 1;
  showMessage(ctx, conv, f);
  if (skipped) repairGap(ctx, conv);
}

/** Shows one message frame (live, replayed or from history) unless its seq is shown already. */
export function showMessage(ctx, conv, f, { live = true } = {}) {
  const { chat, pane } = ctx;
  if (typeof f.text !== "string" && f.deleted !== true) return false;
  const from = typeof f.from === "string" ? f.from : "?";
  if (from === chat.me && ackedByEcho(ctx, conv, f)) return true;
  if (!conv.markSeq(f.seq)) return false; // duplicate
  ctx.sync.saveSeqs();
  const date = view.parseTs(f.ts);
  const el = createMessageElement(ctx, conv, f, from);
  if (typeof f.seq === "number") pane.insertBySeq(conv.key, el, date, f.seq);
  else pane.append(conv.key, el, date);
  resolveQuotes(ctx, conv);
  // From the history or a join's replay: neither news (the server's counts have it) nor a sign that its author stopped typing.
  if (!live || f.replay === true) return true;
  if (conv.kind === "room") stopTyping(ctx, conv, from);
  if (from === chat.me) return true;
  if (conv.key !== chat.current || document.visibilityState === "hidden") {
    // counted here until the server's next count of the conversation (read-state.js); a hidden
    // tab's conversation in view too, read once the tab is seen (membership.js)
    conv.unread += 1;
    if (Array.isArray(f.mentions) && f.mentions.includes(chat.me)) conv.mentions += 1;
    ctx.renderRooms();
  } else {
    ctx.announce(`${from}: ${truncate(f.text, 200)}`);
  }
  ctx.markRead(conv);
  return true;
}

/** An own pending message that came back from the history or a gap fill is sent, and moves to where its seq belongs. */
function ackedByEcho(ctx, conv, f) {
  const entry = ctx.sync.echoed(conv, f);
  if (!entry) return false;
  view.markSent(entry.el, f.seq);
  if (typeof f.seq === "number") ctx.pane.placeBySeq(conv.key, entry.el, f.seq);
  return true;
}

// =====================================================================
// History pages and gaps
// =====================================================================

export function onHistory(ctx, f) {
  const { chat } = ctx;
  const p = ctx.sync.take(f.id);
  const conv = typeof f.room === "string" ? chat.get(f.room) : typeof f.with === "string" ? chat.dm(f.with) : null;
  if (!conv) return;
  // every event of the page: messages as they stand (deleted ones without text) and the changes among them
  const messages = (Array.isArray(f.messages) ? f.messages : [])
    .filter((m) => m && typeof m.seq === "number" && (typeof m.text === "string" || m.deleted === true || CHANGE_TYPES.has(m.type)))
    .sort((x, y) => x.seq - y.seq);
  if (p?.mode === "latest") mergeLatest(ctx, conv, messages);
  else if (p?.mode === "gap") fillFromPage(ctx, conv, messages, p);
  else prependOlder(ctx, conv, messages);
}

/** A page of older messages: prepended above what is shown, scroll position kept. */
export function prependOlder(ctx, conv, messages) {
  const { chat, dom } = ctx;
  conv.loadingOlder = false;
  dom.historyState.textContent = "";
  const items = [];
  for (const m of messages) {
    if (typeof m.seq !== "number") continue;
    if (CHANGE_TYPES.has(m.type)) {
      conv.markSeq(m.seq); // its message in this page (or an older one) comes as it stands: nothing to apply
      continue;
    }
    const from = typeof m.from === "string" ? m.from : "?";
    if (from === chat.me && ackedByEcho(ctx, conv, m)) continue;
    if (conv.markSeq(m.seq)) {
      items.push({ node: createMessageElement(ctx, conv, m, from), date: view.parseTs(m.ts) });
    }
  }
  if (!messages.length || messages[0].seq <= 1) {
    conv.exhausted = true;
    if (conv.key === chat.current && !messages.length) dom.historyState.textContent = "No older messages.";
  }
  ctx.pane.prepend(conv.key, items);
  resolveQuotes(ctx, conv);
  if (!conv.exhausted) fillView(ctx, conv);
}

/**
 * The latest page of a direct conversation after a (re)connect, merged by seq into what is
 * shown, which stays. When it does not reach down to what was seen before, the gap between
 * is filled from the history, as a room's `recovered:false` is.
 */
export function mergeLatest(ctx, conv, messages) {
  const fresh = conv.lastSeq === null;
  // never news: the welcome's counts have what came before it, live frames what came after
  for (const m of messages) showEvent(ctx, conv, m, { live: false });
  conv.synced = true;
  const newest = messages.length ? messages[messages.length - 1].seq : 0;
  if (fresh) conv.skipTo(newest); // this page's knowledge of the conversation starts here
  else if (conv.gap()) conv.filling = true;
  ctx.sync.saveSeqs();
  ctx.sync.flush(conv.key);
  repairGap(ctx, conv);
  fillView(ctx, conv);
  ctx.markRead(conv);
}

/**
 * Asks for the missing stretch just above the conversation's gap-free seq, if there is one and
 * no such request is in flight (one per conversation: a burst of messages that skip ahead
 * costs one request, re-checked when it answers); see Sync.requestGap. A gap the server did not
 * replay (`filling`) goes under a "Loading earlier messages…" line where the gap is; one seen in
 * the live stream goes without a line.
 */
export function repairGap(ctx, conv) {
  const { pane } = ctx;
  if (!conv || conv.repairing || !ctx.sync.isReady(conv.key)) return;
  const gap = conv.gap();
  if (!gap) return endFill(ctx, conv);
  if (!ctx.sync.requestGap(conv, gap)) return;
  if (conv.filling) {
    const notice = pane.fillNotice(conv.key) ?? view.createSystemLine(FILL_NOTICE, new Date(), "gap-notice filling");
    pane.placeAfterSeq(conv.key, notice, conv.lastSeq);
  }
}

/**
 * A page for a gap: its messages go in by seq. Once a page reaches the gap's start (its first
 * seq at most the one just above the gap-free seq), or comes back short (the server has nothing
 * older), whatever below `before` is still missing is gone from the server's history; otherwise
 * the next page is asked for, below the lowest seq now seen.
 */
export function fillFromPage(ctx, conv, messages, p) {
  conv.repairing = false;
  const start = conv.lastSeq + 1;
  for (const m of messages) if (typeof m.seq === "number") showEvent(ctx, conv, m, { live: false });
  const reached = messages.length < p.limit || messages[0].seq <= start;
  if (reached && conv.lastSeq < p.before - 1) markLost(ctx, conv, p.before - 1);
  ctx.sync.saveSeqs();
  repairGap(ctx, conv);
  ctx.markRead(conv); // the gap-free seq moved: what is read moves with it
}

/** Seqs up to `upTo` that are still missing are gone for good: a line says so where they were, and the seqs go on past them. */
export function markLost(ctx, conv, upTo) {
  const { pane } = ctx;
  pane.fillNotice(conv.key)?.remove();
  pane.placeAfterSeq(conv.key, view.createSystemLine(GAP_NOTICE, new Date(), "gap-notice"), conv.lastSeq);
  conv.skipTo(upTo);
  if (conv.key === ctx.chat.current) ctx.announce(`${GAP_NOTICE} in ${title(conv)}`);
}

/** No gap left: the "Loading earlier messages…" line goes. */
function endFill(ctx, conv) {
  conv.filling = false;
  ctx.pane.fillNotice(conv.key)?.remove();
}

/**
 * The server's history was replaced (another epoch) and the conversation's seqs were forgotten:
 * the seqs shown belong to a history that is gone, so say so and forget the old view; the next
 * join rebuilds it. Own messages still waiting for their ack stay, at the bottom.
 */
export function startOver(ctx, conv) {
  const { pane } = ctx;
  const waiting = pane.pendingNodes(conv.key);
  pane.clear(conv.key);
  pane.append(conv.key, view.createSystemLine(GAP_NOTICE, new Date(), "gap-notice"), new Date());
  for (const el of waiting) pane.append(conv.key, el, new Date());
  if (conv.key === ctx.chat.current) ctx.announce(`${GAP_NOTICE} in ${title(conv)}`);
}

/** Asks for the page before the lowest seq shown; the reply is prepended. */
export function loadOlder(ctx, conv) {
  if (!conv || conv.loadingOlder || conv.exhausted || !ctx.sync.isReady(conv.key)) return;
  const before = ctx.pane.lowestSeq(conv.key) ?? (conv.lastSeq ?? 0) + 1;
  if (before <= 1) {
    conv.exhausted = true;
    return;
  }
  if (!ctx.sync.requestOlder(conv, before)) return;
  if (conv.key === ctx.chat.current) ctx.dom.historyState.textContent = "Loading older messages…";
}

/** While the list in view has no scroll bar, older messages are fetched until it has one or none are left. */
export function fillView(ctx, conv) {
  if (conv.key === ctx.chat.current && ctx.pane.notScrollable()) loadOlder(ctx, conv);
}

// =====================================================================
// Own messages
// =====================================================================

/** Own message element -> {key, room?, to?, text}, used by "Retry". */
const outgoing = new WeakMap();

/** Queues an own message element; it stays .pending until acked, across reconnects. */
export function transmit(ctx, el, target, text, id = newId("c")) {
  view.markPending(el, id);
  outgoing.set(el, { ...target, text });
  ctx.sync.queue(id, target, text, el);
}

/** Forget the pending messages of a conversation we are no longer in (left, removed). */
export function dropOutbox(ctx, key) {
  for (const entry of ctx.sync.drop(key)) view.markFailed(entry.el, "no longer in this conversation");
}

function onMessagesClick(ctx, event) {
  const retry = event.target.closest(".retry-btn");
  if (!retry) return;
  const el = retry.closest(".msg");
  const info = outgoing.get(el);
  if (!info || !ctx.chat?.byKey(info.key)) return;
  const { text, ...target } = info;
  transmit(ctx, el, target, text);
  if (!ctx.sync.isReady(info.key)) ctx.toast("Offline: the message is sent once connected.", "info");
}

function onMessagesScroll(ctx) {
  if (ctx.chat && ctx.dom.messages.scrollTop < LOAD_OLDER_THRESHOLD_PX) loadOlder(ctx, ctx.chat.currentConversation);
}

// =====================================================================
// Typing line
// =====================================================================

export function onTyping(ctx, f) {
  const { chat } = ctx;
  const room = chat.get(f.room);
  if (!room || typeof f.user !== "string" || f.user === chat.me) return;
  clearTimeout(room.typing.get(f.user));
  room.typing.set(f.user, setTimeout(() => stopTyping(ctx, room, f.user), TYPING_SHOW_MS));
  if (room.key === chat.current) renderTyping(ctx);
}

export function stopTyping(ctx, room, user) {
  if (!room.typing.has(user)) return;
  clearTimeout(room.typing.get(user));
  room.typing.delete(user);
  if (room.key === ctx.chat?.current) renderTyping(ctx);
}

export function clearTyping(room) {
  for (const timer of room.typing.values()) clearTimeout(timer);
  room.typing.clear();
}

export function renderTyping(ctx) {
  const conv = ctx.chat?.currentConversation;
  const users = conv && conv.kind === "room" ? [...conv.typing.keys()].sort((a, b) => a.localeCompare(b)) : [];
  ctx.dom.typing.textContent = view.typingText(users);
}

export function wire(ctx) {
  ctx.dom.messages.addEventListener("click", (event) => onMessagesClick(ctx, event));
  ctx.dom.messages.addEventListener("scroll", () => onMessagesScroll(ctx), { passive: true });
}
