// The composer: writes an own message into the conversation in view (pending until its ack, see
// messages.js's transmit), as a reply when one is started, or saves an edit (message-actions.js);
// checks its length against the server's limit, completes `@` names from the members, and tells
// the room's other members we are typing.

import { DEFAULT_MAX_TEXT } from "./protocol.js";
import * as view from "./view.js";
import * as messageView from "./message-view.js";
import { transmit } from "./messages.js";
import { cancelMode, editLast, saveEdit } from "./message-actions.js";
import { mentionsIn, suggestions, wordAt } from "./mentions.js";

/** Typing frames are sent at most this often per room; the server relays them to the others. */
const TYPING_SEND_INTERVAL_MS = 3000;

/** Room -> time we last sent a typing frame for it. */
const typingSentAt = new Map();

const maxText = (ctx) => (Number.isInteger(ctx.protocolInfo?.maxText) ? ctx.protocolInfo.maxText : DEFAULT_MAX_TEXT);

/** Strip leading blank lines and trailing whitespace; keep inner formatting. */
export const normalizeText = (text) => text.replace(/^(?:[ \t]*\r?\n)+/, "").trimEnd();

function onComposerSubmit(ctx, event) {
  event.preventDefault();
  sendFromComposer(ctx);
}

function sendFromComposer(ctx) {
  const { chat, dom } = ctx;
  const conv = chat?.currentConversation;
  if (!conv) return composerError(ctx, "Join a room first.");
  const text = normalizeText(dom.messageInput.value);
  if (!text.trim()) return; // nothing to send
  if (text.length > maxText(ctx)) {
    return composerError(ctx, `Message too long: ${text.length} characters, the maximum is ${maxText(ctx)}.`);
  }
  if (ctx.editing) return saveEdit(ctx, text);
  // Offline or still joining: the message waits, pending, and goes once the conversation is back.
  const el = view.createMessage({ from: chat.me, text, date: new Date(), own: true, pending: true });
  const target = conv.kind === "room" ? { key: conv.key, room: conv.name } : { key: conv.key, to: conv.user };
  // Marked as the server will mark them: the sender does not get its own message back.
  const mentions = mentionsIn(text, conv.kind === "room" ? conv.members : new Set([conv.user]), chat.me);
  if (mentions.length) el.dataset.mentions = mentions.join("\n");
  messageView.setText(el, { text, mentions, me: chat.me });
  if (ctx.replyTo?.key === conv.key) {
    target.replyTo = ctx.replyTo.seq;
    el.dataset.replyTo = String(ctx.replyTo.seq);
    el.querySelector(".meta").after(messageView.replyQuote(ctx.replyTo.seq, ctx.replyTo.snippet));
  }
  el.append(messageView.actions(true));
  ctx.pane.append(conv.key, el, new Date());
  transmit(ctx, el, target, text);
  if (conv.kind === "room") typingSentAt.delete(conv.name); // the next keystroke may say "typing" again
  cancelMode(ctx);
  dom.messageInput.value = "";
  onComposerInput(ctx);
}

export function composerError(ctx, message) {
  ctx.dom.composerError.textContent = message;
  ctx.dom.messageInput.setAttribute("aria-invalid", "true");
}

function onComposerKeydown(ctx, event) {
  const { dom } = ctx;
  if (event.isComposing || event.keyCode === 229) return; // never interrupt IME composition
  if (completing(ctx) && onCompletionKey(ctx, event)) return;
  if (event.key === "Escape" && (ctx.editing || ctx.replyTo)) {
    event.preventDefault();
    event.stopPropagation(); // not also the drawers' Escape
    return cancelMode(ctx);
  }
  if (event.key === "ArrowUp" && !dom.messageInput.value && !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey) {
    if (editLast(ctx)) event.preventDefault();
    return;
  }
  // Enter sends, Shift+Enter inserts a newline.
  if (event.key !== "Enter" || event.shiftKey) return;
  event.preventDefault();
  sendFromComposer(ctx);
}

// ---------- @ completion ----------

/** The suggestion list is open. */
const completing = (ctx) => !ctx.dom.mentionList.hidden;

/** The members of the conversation in view who can be mentioned there. */
function mentionable(ctx) {
  const conv = ctx.chat?.currentConversation;
  if (!conv) return new Set();
  return conv.kind === "room" ? conv.members : new Set([conv.user]);
}

/** Opens, updates or closes the list of names for the `@` word at the caret. */
function updateCompletion(ctx) {
  const { dom } = ctx;
  const input = dom.messageInput;
  const word = input.selectionStart === input.selectionEnd ? wordAt(input.value, input.selectionStart) : null;
  const names = word ? suggestions(word.prefix, mentionable(ctx), ctx.chat?.me) : [];
  if (!names.length) return closeCompletion(ctx);
  const selected = dom.mentionList.querySelector("[aria-selected='true']")?.dataset.user;
  dom.mentionList.replaceChildren(
    ...names.map((user, i) =>
      view.h("li", { role: "option", id: `mention-${i}`, dataset: { user }, "aria-selected": String(selected ? user === selected : i === 0), dir: "auto", text: `@${user}` })
    )
  );
  if (!dom.mentionList.querySelector("[aria-selected='true']")) dom.mentionList.firstElementChild.setAttribute("aria-selected", "true");
  dom.mentionList.hidden = false;
  dom.mentionList.dataset.start = String(word.start);
  dom.mentionList.dataset.prefix = word.prefix;
  input.setAttribute("aria-controls", "mention-list");
  input.setAttribute("aria-activedescendant", dom.mentionList.querySelector("[aria-selected='true']").id);
}

function closeCompletion(ctx) {
  const { dom } = ctx;
  dom.mentionList.hidden = true;
  dom.mentionList.replaceChildren();
  dom.messageInput.removeAttribute("aria-activedescendant");
}

/** Up/Down choose, Tab or Enter take the name, Esc closes the list; true when the key was the list's. */
function onCompletionKey(ctx, event) {
  const input = ctx.dom.messageInput;
  const list = ctx.dom.mentionList;
  const word = input.selectionStart === input.selectionEnd ? wordAt(input.value, input.selectionStart) : null;
  if (!word || String(word.start) !== list.dataset.start || word.prefix !== list.dataset.prefix) {
    closeCompletion(ctx); // the caret left the word the list was for
    return false;
  }
  const options = [...ctx.dom.mentionList.children];
  const at = options.findIndex((o) => o.getAttribute("aria-selected") === "true");
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    const next = (at + (event.key === "ArrowDown" ? 1 : -1) + options.length) % options.length;
    options.forEach((o, i) => o.setAttribute("aria-selected", String(i === next)));
    ctx.dom.messageInput.setAttribute("aria-activedescendant", options[next].id);
  } else if ((event.key === "Tab" || event.key === "Enter") && !event.shiftKey) {
    takeName(ctx, options[Math.max(0, at)].dataset.user);
  } else if (event.key === "Escape") {
    event.stopPropagation();
    closeCompletion(ctx);
  } else {
    return false;
  }
  event.preventDefault();
  return true;
}

/** Puts "@name " in place of the `@` word at the caret. */
function takeName(ctx, user) {
  const input = ctx.dom.messageInput;
  const word = wordAt(input.value, input.selectionStart);
  closeCompletion(ctx);
  if (!word) return;
  const insert = `@${user} `;
  input.value = input.value.slice(0, word.start) + insert + input.value.slice(input.selectionStart);
  const caret = word.start + insert.length;
  input.setSelectionRange(caret, caret);
  input.focus();
  onComposerInput(ctx);
}

function onComposerInput(ctx) {
  const { dom } = ctx;
  const len = dom.messageInput.value.length;
  const max = maxText(ctx);
  // Grow the textarea with its content (up to 8 rows) without inline styles.
  dom.messageInput.rows = Math.min(8, Math.max(1, dom.messageInput.value.split("\n").length));
  dom.charCount.textContent = len > max * 0.8 ? `${len} / ${max}` : "";
  dom.charCount.classList.toggle("over", len > max);
  if (len <= max) {
    dom.composerError.textContent = "";
    dom.messageInput.removeAttribute("aria-invalid");
  }
  if (len > 0) sendTyping(ctx);
  updateCompletion(ctx);
}

/** Tells the room's other members we are typing, at most once per TYPING_SEND_INTERVAL_MS. */
function sendTyping(ctx) {
  const room = ctx.chat?.currentConversation;
  if (!room || room.kind !== "room" || room.status !== "joined") return;
  const now = Date.now();
  if (now - (typingSentAt.get(room.name) ?? 0) < TYPING_SEND_INTERVAL_MS) return;
  if (ctx.conn?.send({ type: "typing", room: room.name })) typingSentAt.set(room.name, now);
}

export function wire(ctx) {
  ctx.dom.composer.addEventListener("submit", (event) => onComposerSubmit(ctx, event));
  ctx.dom.messageInput.addEventListener("keydown", (event) => onComposerKeydown(ctx, event));
  ctx.dom.messageInput.addEventListener("input", () => onComposerInput(ctx));
  ctx.dom.messageInput.addEventListener("blur", () => setTimeout(() => closeCompletion(ctx), 150));
  // the caret moved without typing: the list follows the word it is in now
  ctx.dom.messageInput.addEventListener("click", () => updateCompletion(ctx));
  ctx.dom.messageInput.addEventListener("keyup", (event) => {
    if (["ArrowLeft", "ArrowRight", "Home", "End"].includes(event.key)) updateCompletion(ctx);
  });
  // pointerdown, not click: it comes before the input's blur, so the list is still there
  ctx.dom.mentionList.addEventListener("pointerdown", (event) => {
    const option = event.target.closest("li[data-user]");
    if (!option) return;
    event.preventDefault();
    takeName(ctx, option.dataset.user);
  });
}
