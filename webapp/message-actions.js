// What the user does to messages: reply (the composer quotes the message and the send names it),
// edit (one's own: the composer holds its text until Enter saves or Esc cancels; Up in an empty
// composer edits the last one), delete (one's own, at once: a chat message is cheap to write
// again and a dialog on every delete is a nuisance), and react (a fixed set, or any emoji typed
// in place). A change is applied here when the server acks it: the server sends it to the
// author's other connections, not back to the one that made it. A quote jumps to its message.

import { h } from "./view.js";
import { snippetOf } from "./message-view.js";
import { applyChange } from "./messages.js";

/** The server's bound on an emoji: at most 16 code points, no white space (see the protocol's bad_request). */
const EMOJI_MAX_CODE_POINTS = 16;
/** How long a message a quote jumped to stays marked. */
const FLASH_MS = 2000;

const seqOf = (li) => (li?.dataset.seq ? Number(li.dataset.seq) : null);

/** The frame's target within the conversation in view, or null (a pending own message has no seq yet). */
function targetOf(ctx, li) {
  const conv = ctx.chat?.currentConversation;
  const seq = seqOf(li);
  return conv && Number.isInteger(seq) ? { conv, seq } : null;
}

/** True when the change went out. */
function send(ctx, conv, frame) {
  if (ctx.sync.isReady(conv.key) && ctx.sync.change(conv, frame)) return true;
  ctx.toast("You are offline; try again once connected.", "info");
  return false;
}

// ---------- the composer's modes ----------

/** Ends a reply or an edit in progress (another conversation came into view, a send, Esc). */
export function cancelMode(ctx) {
  const { dom } = ctx;
  if (ctx.editing) {
    ctx.pane.bySeq(ctx.editing.key, ctx.editing.seq)?.classList.remove("editing");
    dom.messageInput.value = "";
    dom.messageInput.dispatchEvent(new Event("input"));
  }
  ctx.replyTo = null;
  ctx.editing = null;
  dom.replyBar.hidden = true;
  dom.editBar.hidden = true;
  delete dom.composer.dataset.editing;
}

function startReply(ctx, li) {
  const t = targetOf(ctx, li);
  if (!t) return;
  if (ctx.editing) cancelMode(ctx);
  ctx.replyTo = { key: t.conv.key, seq: t.seq, snippet: snippetOf(li) ?? "" };
  ctx.dom.replyBar.querySelector(".reply-from").textContent = li.dataset.from ?? "";
  ctx.dom.replyBar.querySelector(".reply-snippet").textContent = ctx.replyTo.snippet;
  ctx.dom.replyBar.hidden = false;
  ctx.dom.messageInput.focus();
}

/** Puts an own message's text in the composer; Enter then saves it (see composer.js). */
export function startEdit(ctx, li) {
  const t = targetOf(ctx, li);
  if (!t || !li.classList.contains("own") || li.classList.contains("deleted")) return false;
  cancelMode(ctx);
  ctx.editing = { key: t.conv.key, seq: t.seq, text: li.querySelector(".text")?.textContent ?? "" };
  li.classList.add("editing");
  const { dom } = ctx;
  dom.composer.dataset.editing = String(t.seq);
  dom.editBar.hidden = false;
  dom.messageInput.value = ctx.editing.text;
  dom.messageInput.dispatchEvent(new Event("input"));
  dom.messageInput.focus();
  dom.messageInput.setSelectionRange(dom.messageInput.value.length, dom.messageInput.value.length);
  return true;
}

/** Up in an empty composer: the last own message of the conversation in view that can be edited. */
export function editLast(ctx) {
  const conv = ctx.chat?.currentConversation;
  const box = conv ? ctx.pane.box(conv.key) : null;
  const own = box ? [...box.querySelectorAll("li.msg.own[data-seq]:not(.deleted):not(.pending):not(.failed)")] : [];
  if (!own.length) return false;
  own.sort((a, b) => seqOf(a) - seqOf(b));
  return startEdit(ctx, own[own.length - 1]);
}

/** Enter while editing: the new text goes as an `edit` (nothing when it did not change). */
export function saveEdit(ctx, text) {
  const conv = ctx.chat?.byKey(ctx.editing.key);
  // offline, the edit stays in the composer, to be saved once connected
  if (conv && text !== ctx.editing.text && !send(ctx, conv, { type: "edit", target: ctx.editing.seq, text })) return;
  cancelMode(ctx);
}

// ---------- delete, react ----------

function remove(ctx, li) {
  const t = targetOf(ctx, li);
  if (t && li.classList.contains("own")) send(ctx, t.conv, { type: "delete", target: t.seq });
}

function react(ctx, li, emoji) {
  const t = targetOf(ctx, li);
  if (t && typeof emoji === "string" && emoji) send(ctx, t.conv, { type: "react", target: t.seq, emoji });
}

/** "☺+": an input in the message's actions for any emoji; Enter reacts with it, Esc or leaving it closes it. */
function openReactInput(ctx, li) {
  const row = li.querySelector(".msg-actions");
  if (!row) return;
  let form = row.querySelector(".react-form");
  if (!form) {
    const input = h("input", { type: "text", className: "react-input", "aria-label": "React with an emoji", placeholder: "Emoji", autocomplete: "off" });
    form = h("form", { className: "react-form", novalidate: true }, input);
    const close = () => {
      form.remove();
      row.classList.remove("open");
    };
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const emoji = input.value.trim();
      if (!emoji) return close();
      if ([...emoji].length > EMOJI_MAX_CODE_POINTS || /\s/u.test(emoji)) {
        input.setAttribute("aria-invalid", "true");
        return ctx.toast(`A reaction is one emoji (at most ${EMOJI_MAX_CODE_POINTS} code points, no spaces).`);
      }
      close();
      react(ctx, li, emoji);
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.stopPropagation();
        close();
      }
    });
    input.addEventListener("blur", () => setTimeout(close, 0));
    row.append(form);
  }
  row.classList.add("open");
  form.querySelector("input").focus();
}

// ---------- answers ----------

/**
 * The ack of a change we made: applied here as the others get it. Whether a reaction is now on is
 * the ack's `on` (the server's toggle); from what this page shows only when the ack lacks it.
 */
export function acked(ctx, p, ack) {
  const conv = ctx.chat?.byKey(p.key);
  const seq = ack.seq;
  if (!conv || typeof seq !== "number") return;
  const me = ctx.chat.me;
  const c = p.change;
  const ts = new Date().toISOString();
  if (c.type === "edit") applyChange(ctx, conv, { type: "edited", seq, target: c.target, from: me, text: c.text, ts });
  else if (c.type === "delete") applyChange(ctx, conv, { type: "deleted", seq, target: c.target, by: me, ts });
  else if (c.type === "react") {
    const li = ctx.pane.bySeq(conv.key, c.target);
    const mine = [...(li?.querySelectorAll(".reaction") ?? [])].some((b) => b.dataset.emoji === c.emoji && b.getAttribute("aria-pressed") === "true");
    const on = typeof ack.on === "boolean" ? ack.on : !mine;
    applyChange(ctx, conv, { type: "reaction", seq, target: c.target, from: me, emoji: c.emoji, on, ts });
  }
}

/** A quote's message, brought into view and marked for a moment; one not loaded yet is further up. */
function jumpTo(ctx, seq) {
  const conv = ctx.chat?.currentConversation;
  const li = conv ? ctx.pane.bySeq(conv.key, seq) : null;
  if (!li) return ctx.toast("That message is further up: scroll up to load it.", "info");
  li.scrollIntoView({ block: "center" });
  li.classList.add("flash");
  setTimeout(() => li.classList.remove("flash"), FLASH_MS);
}

function onClick(ctx, event) {
  if (!ctx.chat) return;
  const li = event.target.closest("li.msg");
  if (!li) return;
  const quote = event.target.closest(".reply-quote");
  if (quote) return jumpTo(ctx, Number(quote.dataset.target));
  const reaction = event.target.closest(".reaction");
  if (reaction) return react(ctx, li, reaction.dataset.emoji);
  const action = event.target.closest(".msg-action")?.dataset.action;
  if (action === "reply") startReply(ctx, li);
  else if (action === "edit") startEdit(ctx, li);
  else if (action === "delete") remove(ctx, li);
  else if (action === "react") react(ctx, li, event.target.closest(".msg-action").dataset.emoji);
  else if (action === "react-other") openReactInput(ctx, li);
}

export function wire(ctx) {
  const { dom } = ctx;
  dom.messages.addEventListener("click", (event) => onClick(ctx, event));
  dom.replyCancel.addEventListener("click", () => {
    cancelMode(ctx);
    dom.messageInput.focus();
  });
  dom.editCancel.addEventListener("click", () => {
    cancelMode(ctx);
    dom.messageInput.focus();
  });
}
