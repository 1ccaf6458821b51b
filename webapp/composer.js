// The composer: writes an own message into the conversation in view (pending until its ack, see
// messages.js's transmit), checks its length against the server's limit, and tells the room's
// other members we are typing.

import { DEFAULT_MAX_TEXT } from "./protocol.js";
import * as view from "./view.js";
import { transmit } from "./messages.js";

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
  // Offline or still joining: the message waits, pending, and goes once the conversation is back.
  const el = view.createMessage({ from: chat.me, text, date: new Date(), own: true, pending: true });
  ctx.pane.append(conv.key, el, new Date());
  transmit(ctx, el, conv.kind === "room" ? { key: conv.key, room: conv.name } : { key: conv.key, to: conv.user }, text);
  if (conv.kind === "room") typingSentAt.delete(conv.name); // the next keystroke may say "typing" again
  dom.messageInput.value = "";
  onComposerInput(ctx);
}

export function composerError(ctx, message) {
  ctx.dom.composerError.textContent = message;
  ctx.dom.messageInput.setAttribute("aria-invalid", "true");
}

function onComposerKeydown(ctx, event) {
  // Enter sends, Shift+Enter inserts a newline; never interrupt IME composition.
  if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
  event.preventDefault();
  sendFromComposer(ctx);
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
}
