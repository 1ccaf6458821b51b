// DOM building blocks. All user-controlled text goes through textContent or
// text nodes (Element.append with strings); innerHTML is never used. A user name is shown in an
// element with dir="auto" (HTML isolates it, like <bdi>) or, inside a sentence, between the
// isolate marks of isolate(): right-to-left letters in a name never reorder what is around it.

import { isolate } from "./protocol.js";
import { badgeText } from "./read-state.js";

const MAX_NODES_PER_ROOM = 1000;
const STICK_THRESHOLD_PX = 80;

/** Tiny element factory: h("li", {className, text, dataset, ...attrs}, ...children). */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value == null || value === false) continue;
    if (key === "className") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) if (child != null) el.append(child); // strings become text nodes
  return el;
}

// ---------- time formatting ----------

const pad = (n) => String(n).padStart(2, "0");

/** Local HH:MM (24h), independent of locale quirks. */
export const formatTime = (d) => `${pad(d.getHours())}:${pad(d.getMinutes())}`;

const dayKey = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;

function dayLabel(d) {
  const now = new Date();
  const yesterday = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1);
  if (dayKey(d) === dayKey(now)) return "Today";
  if (dayKey(d) === dayKey(yesterday)) return "Yesterday";
  return d.toLocaleDateString(undefined, { weekday: "long", year: "numeric", month: "long", day: "numeric" });
}

/** Parse a server timestamp; falls back to "now" when missing or invalid. */
export function parseTs(ts) {
  const d = typeof ts === "string" ? new Date(ts) : new Date(NaN);
  return Number.isNaN(d.getTime()) ? new Date() : d;
}

// ---------- message elements ----------

const MARKERS = {
  pending: { icon: "◷", label: "Sending…" },
  sent: { icon: "✓", label: "Sent" },
  failed: { icon: "!", label: "Not sent" },
};

function statusMarker(kind) {
  const { icon, label } = MARKERS[kind];
  return h(
    "span",
    { className: `status-marker ${kind}`, title: label },
    h("span", { "aria-hidden": "true", text: icon }),
    h("span", { className: "sr-only", text: label })
  );
}

function setMarker(el, kind) {
  const meta = el.querySelector(".meta");
  meta.querySelector(".status-marker")?.remove();
  meta.querySelector(".retry-btn")?.remove();
  meta.append(statusMarker(kind));
}

/** A chat message: li.msg[data-seq][data-from] > .meta(.author .time) + .text */
/** A backend's bot posts as `bot:<name>` (no user's name has a colon): shown as its name with a "bot" badge. */
const BOT = /^bot:(.+)$/;

function author(from) {
  const bot = BOT.exec(from);
  if (!bot) return [h("span", { className: "author", dir: "auto", text: from })];
  return [h("span", { className: "author", dir: "auto", text: bot[1] }), h("span", { className: "bot-badge", text: "bot" })];
}

export function createMessage({ from, text, date, seq, id, own, pending }) {
  const li = h("li", { className: "msg", dataset: { from } });
  if (BOT.test(from)) li.classList.add("bot");
  if (typeof seq === "number") li.dataset.seq = String(seq);
  if (id) li.dataset.id = id;
  if (own) li.classList.add("own");
  const meta = h(
    "div",
    { className: "meta" },
    ...author(from),
    h("time", { className: "time", datetime: date.toISOString(), title: date.toLocaleString(), text: formatTime(date) })
  );
  li.append(meta, h("p", { className: "text", text }));
  if (pending) {
    li.classList.add("pending");
    meta.append(statusMarker("pending"));
  } else if (own) {
    meta.append(statusMarker("sent"));
  }
  return li;
}

export function markSent(el, seq) {
  el.classList.remove("pending", "failed");
  el.classList.add("sent");
  if (typeof seq === "number") el.dataset.seq = String(seq);
  setMarker(el, "sent");
}

export function markPending(el, id) {
  el.classList.remove("failed", "sent");
  el.classList.add("pending");
  el.dataset.id = id;
  setMarker(el, "pending");
}

/** Failed own message, with a Retry button (handled by delegation in app.js). */
export function markFailed(el, reason) {
  el.classList.remove("pending", "sent");
  el.classList.add("failed");
  setMarker(el, "failed");
  const marker = el.querySelector(".status-marker");
  if (reason) marker.title = `Not sent: ${reason}`;
  el.querySelector(".meta").append(h("button", { type: "button", className: "retry-btn", text: "Retry" }));
}

/** System line such as "bob joined". */
export function createSystemLine(text, date = new Date(), extraClass = "") {
  return h(
    "li",
    { className: extraClass ? `system ${extraClass}` : "system" },
    h("span", { className: "system-text", text }),
    h("time", { className: "time", datetime: date.toISOString(), text: formatTime(date) })
  );
}

// ---------- message pane ----------

const daySeparator = (date) =>
  h("li", { className: "day-separator", role: "separator", dataset: { day: dayKey(date) }, text: dayLabel(date) });

const seqOf = (node) => (node.dataset && node.dataset.seq !== undefined ? Number(node.dataset.seq) : NaN);

/**
 * Keeps one list of nodes per conversation (a room name or "@user"). The one
 * in view lives in the real #messages element; the others are parked in
 * detached holders.
 */
export class MessagePane {
  constructor(listEl) {
    this.list = listEl;
    this.holders = new Map(); // key -> detached <ol>
    this.lastDay = new Map(); // key -> day key of the last appended line
    this.current = null;
  }

  ensure(room) {
    if (!this.holders.has(room)) this.holders.set(room, document.createElement("ol"));
  }

  #container(room) {
    return room === this.current ? this.list : this.holders.get(room);
  }

  show(room) {
    if (this.current === room) return;
    if (this.current && this.holders.has(this.current)) this.holders.get(this.current).append(...this.list.childNodes);
    this.list.replaceChildren();
    this.current = room;
    if (room) {
      this.ensure(room);
      this.list.append(...this.holders.get(room).childNodes);
    }
    this.scrollToBottom();
  }

  append(room, node, date) {
    this.ensure(room);
    const box = this.#container(room);
    const stick = room === this.current && this.#nearBottom();
    const key = dayKey(date);
    if (this.lastDay.get(room) !== key) {
      this.lastDay.set(room, key);
      box.append(daySeparator(date));
    }
    box.append(node);
    while (box.childElementCount > MAX_NODES_PER_ROOM) box.firstElementChild.remove();
    if (stick || node.classList.contains("own")) this.scrollToBottom();
  }

  /**
   * Puts a message with a seq where it belongs: appended when nothing shown has a
   * higher seq (the usual case), else just before the first message that does.
   */
  insertBySeq(room, node, date, seq) {
    this.ensure(room);
    const box = this.#container(room);
    const later = [...box.querySelectorAll("li.msg[data-seq]")].find((m) => seqOf(m) > seq);
    if (!later) return this.append(room, node, date);
    later.before(node);
  }

  /**
   * Moves a message to where its seq belongs (an own message whose seq came late, with its echo):
   * just before the first message with a higher seq, or to the bottom when none has one.
   */
  placeBySeq(room, node, seq) {
    node.remove();
    this.insertBySeq(room, node, new Date(), seq);
  }

  /**
   * Puts a line (e.g. a gap notice) just below the messages up to `seq`: before the first
   * message with a higher seq, or at the bottom when there is none. A line already in the list moves.
   */
  placeAfterSeq(room, node, seq) {
    this.ensure(room);
    const box = this.#container(room);
    const later = [...box.querySelectorAll("li.msg[data-seq]")].find((m) => m !== node && seqOf(m) > seq);
    if (!later) return this.append(room, node, new Date());
    later.before(node);
  }

  /** The line that marks a gap being filled (li.gap-notice.filling), or null. */
  fillNotice(room) {
    const box = this.#container(room);
    return (box && box.querySelector("li.gap-notice.filling")) || null;
  }

  /**
   * Prepends older messages (oldest first) and keeps what the user is looking at
   * in place: the list scrolls down by exactly the height that was added above.
   */
  prepend(room, items) {
    if (!items.length) return;
    this.ensure(room);
    const box = this.#container(room);
    const inView = room === this.current;
    const before = inView ? this.list.scrollHeight : 0;
    const fragment = document.createDocumentFragment();
    let day = null;
    for (const { node, date } of items) {
      if (dayKey(date) !== day) {
        day = dayKey(date);
        fragment.append(daySeparator(date));
      }
      fragment.append(node);
    }
    // The old top separator repeats the last prepended day: drop it.
    const top = box.firstElementChild;
    if (top && top.classList.contains("day-separator") && top.dataset.day === day) top.remove();
    if (!this.lastDay.has(room)) this.lastDay.set(room, day);
    box.prepend(fragment);
    if (inView) this.list.scrollTop += this.list.scrollHeight - before;
  }

  /** The conversation's list (shown or detached), for a search among its messages. */
  box(room) {
    return this.#container(room) ?? null;
  }

  /** The message with this seq shown in the conversation, or null. */
  bySeq(room, seq) {
    const box = this.#container(room);
    return (typeof seq === "number" && box && box.querySelector(`li.msg[data-seq="${seq}"]`)) || null;
  }

  /** Lowest seq of a message shown in this conversation, or null. */
  lowestSeq(room) {
    const box = this.#container(room);
    const first = box && box.querySelector("li.msg[data-seq]");
    return first ? seqOf(first) : null;
  }

  /** Own messages still waiting for their ack (they survive a reset). */
  pendingNodes(room) {
    const box = this.#container(room);
    return box ? [...box.querySelectorAll("li.msg.own.pending, li.msg.own.failed")] : [];
  }

  /** Empties one conversation's list (its history started over). */
  clear(room) {
    const box = this.#container(room);
    if (box) box.replaceChildren();
    this.lastDay.delete(room);
  }

  remove(room) {
    if (room === this.current) {
      this.list.replaceChildren();
      this.current = null;
    }
    this.holders.delete(room);
    this.lastDay.delete(room);
  }

  reset() {
    this.list.replaceChildren();
    this.holders.clear();
    this.lastDay.clear();
    this.current = null;
  }

  #nearBottom() {
    const l = this.list;
    return l.scrollHeight - l.scrollTop - l.clientHeight < STICK_THRESHOLD_PX;
  }

  /** True when the list in view has no scroll bar yet (older messages would not be reachable by scrolling). */
  notScrollable() {
    return this.list.scrollHeight <= this.list.clientHeight + 4;
  }

  scrollToBottom() {
    this.list.scrollTop = this.list.scrollHeight;
  }
}

// ---------- room list, members ----------

function createRoomItem(name) {
  const li = h("li", { className: "room", dataset: { room: name } });
  const open = h(
    "button",
    { type: "button", className: "room-open" },
    h("span", { className: "room-hash", "aria-hidden": "true", text: "#" }),
    h("span", { className: "room-name", text: name }),
    h("span", { className: "mention-count", "aria-hidden": "true", hidden: true, text: "0" }),
    h("span", { className: "unread", "aria-hidden": "true", hidden: true, text: "0" })
  );
  const leave = h(
    "button",
    { type: "button", className: "leave-btn", "aria-label": `Leave room ${name}`, title: `Leave ${name}` },
    h("span", { "aria-hidden": "true", text: "×" })
  );
  li.append(open, leave);
  return li;
}

function updateRoomItem(li, room, isCurrent) {
  const open = li.querySelector(".room-open");
  li.classList.toggle("current", isCurrent);
  li.classList.toggle("joining", room.status !== "joined");
  if (isCurrent) open.setAttribute("aria-current", "true");
  else open.removeAttribute("aria-current");
  const status = room.status !== "joined" ? ", joining" : "";
  open.setAttribute("aria-label", `${room.name}${setBadges(li, room)}${status}`);
}

/**
 * The unread and mention badges of a room or DM entry, from the conversation's counts (the
 * server's, see read-state.js); returns what a screen reader should hear of them.
 */
function setBadges(li, conv) {
  const unread = li.querySelector(".unread");
  const mentions = li.querySelector(".mention-count");
  const m = conv.mentions ?? 0;
  unread.textContent = badgeText(conv.unread);
  unread.hidden = conv.unread === 0;
  mentions.textContent = badgeText(m);
  mentions.hidden = m === 0;
  li.classList.toggle("has-mentions", m > 0);
  return `${conv.unread ? `, ${badgeText(conv.unread)} unread` : ""}${m ? `, ${badgeText(m)} mentioning you` : ""}`;
}

/** Keyed update so focus on a room button survives re-renders. */
export function syncRoomList(listEl, state) {
  const existing = new Map([...listEl.children].map((li) => [li.dataset.room, li]));
  for (const [name, li] of existing) if (!state.rooms.has(name)) li.remove();
  for (const room of state.rooms.values()) {
    let li = existing.get(room.name);
    if (!li) {
      li = createRoomItem(room.name);
      listEl.append(li);
    }
    updateRoomItem(li, room, room.name === state.current);
  }
}

/** Members; everyone but me is a button that opens a direct conversation. */
export function renderMembers(listEl, members, me) {
  const sorted = [...members].sort((a, b) => a.localeCompare(b));
  listEl.replaceChildren(
    ...sorted.map((user) => {
      // the first code point, not half of an emoji's surrogate pair
      const avatar = h("span", { className: "avatar", "aria-hidden": "true", text: [...user][0].toUpperCase() });
      const name = h("span", { className: "member-name", dir: "auto", text: user });
      if (user === me) {
        return h("li", { className: "member me", dataset: { user } }, avatar, name, h("span", { className: "you", text: "(you)" }));
      }
      const open = h(
        "button",
        { type: "button", className: "member-open", title: `Message ${isolate(user)}`, "aria-label": `${isolate(user)}: send a direct message` },
        avatar,
        name
      );
      return h("li", { className: "member", dataset: { user } }, open);
    })
  );
}

// ---------- direct messages, invitations, typing ----------

function createDmItem(user) {
  const li = h("li", { className: "dm", dataset: { user } });
  li.append(
    h(
      "button",
      { type: "button", className: "room-open dm-open" },
      h("span", { className: "room-hash", "aria-hidden": "true", text: "@" }),
      h("span", { className: "room-name", dir: "auto", text: user }),
      h("span", { className: "mention-count", "aria-hidden": "true", hidden: true, text: "0" }),
      h("span", { className: "unread", "aria-hidden": "true", hidden: true, text: "0" })
    )
  );
  return li;
}

/** Keyed update of the "Direct messages" list, like the room list. */
export function syncDmList(listEl, state) {
  const existing = new Map([...listEl.children].map((li) => [li.dataset.user, li]));
  for (const [user, li] of existing) if (!state.dms.has(user)) li.remove();
  for (const dm of state.dms.values()) {
    let li = existing.get(dm.user);
    if (!li) {
      li = createDmItem(dm.user);
      listEl.append(li);
    }
    const isCurrent = dm.key === state.current;
    const open = li.querySelector(".dm-open");
    li.classList.toggle("current", isCurrent);
    if (isCurrent) open.setAttribute("aria-current", "true");
    else open.removeAttribute("aria-current");
    open.setAttribute("aria-label", `Direct messages with ${isolate(dm.user)}${setBadges(li, dm)}`);
  }
}

/** An invitation to a private room: li.invitation[data-room] with Join and Dismiss buttons. */
export function createInvitation(room, from) {
  return h(
    "li",
    { className: "invitation", dataset: { room } },
    h("span", { className: "invitation-text", text: `${isolate(from)} invited you to #${room}` }),
    h(
      "span",
      { className: "invitation-actions" },
      h("button", { type: "button", className: "btn primary small invitation-join", text: "Join" }),
      h("button", { type: "button", className: "btn ghost small invitation-dismiss", "aria-label": `Dismiss the invitation to ${room}`, text: "Dismiss" })
    )
  );
}

/** "alice is typing…", "alice and bob are typing…", "alice, bob and carol are typing…". */
export function typingText(users) {
  if (!users.length) return "";
  const names = users.map(isolate);
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length <= 3) return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]} are typing…`;
  return "Several people are typing…";
}

// ---------- toasts, live announcements, connection state ----------

const TOAST_TIMEOUT_MS = 8000;
const MAX_TOASTS = 4;

export function showToast(region, message, kind = "error") {
  const item = h("div", { className: `toast-item ${kind}`, role: kind === "error" ? "alert" : "status" });
  const close = h("button", { type: "button", className: "toast-close", "aria-label": "Dismiss notification" }, h("span", { "aria-hidden": "true", text: "×" }));
  item.append(h("p", { className: "toast-text", text: message }), close);
  const dismiss = () => item.remove();
  close.addEventListener("click", dismiss);
  setTimeout(dismiss, TOAST_TIMEOUT_MS);
  region.append(item);
  while (region.childElementCount > MAX_TOASTS) region.firstElementChild.remove();
}

/** Append to the polite live region; keep only the last few nodes. */
export function announce(live, text) {
  live.append(h("p", { text }));
  while (live.childElementCount > 3) live.firstElementChild.remove();
}

const STATE_TEXT = {
  connecting: () => "Connecting…",
  online: () => "Online",
  reconnecting: ({ seconds }) => (seconds > 0 ? `Reconnecting in ${seconds}s` : "Reconnecting…"),
  offline: () => "Offline",
};

export function renderConnState(el, state, info = {}) {
  el.dataset.state = state;
  el.querySelector(".conn-text").textContent = (STATE_TEXT[state] || STATE_TEXT.offline)(info);
}
