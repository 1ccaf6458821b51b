// What a message shows beyond its author and time: its text with mentions marked, the message it
// answers, whether it was edited or deleted, its reactions, and the actions on it. Text only ever
// goes in as text nodes (see view.js); nothing here builds markup from a string.

import { h } from "./view.js";

/** The reactions offered in one click; any other emoji can be typed ("React…"). */
export const QUICK_REACTIONS = ["👍", "❤️", "😂", "🎉", "😮", "😢"];

/**
 * The text with each `@name` of `mentions` in a span.mention (span.mention.me when it names `me`),
 * the rest as text nodes.
 */
export function textWithMentions(text, mentions, me) {
  const p = h("p", { className: "text", dir: "auto" });
  const names = Array.isArray(mentions) ? mentions.filter((n) => typeof n === "string" && n) : [];
  if (!names.length) {
    p.textContent = text;
    return p;
  }
  // longest first, so "@ann" does not take the start of "@anna"
  const sorted = [...names].sort((a, b) => b.length - a.length);
  let rest = text;
  while (rest.length) {
    let best = -1;
    let name = null;
    for (const n of sorted) {
      const at = rest.indexOf(`@${n}`);
      if (at >= 0 && (best < 0 || at < best)) {
        best = at;
        name = n;
      }
    }
    if (best < 0) {
      p.append(rest);
      break;
    }
    if (best > 0) p.append(rest.slice(0, best));
    p.append(h("span", { className: name === me ? "mention me" : "mention", text: `@${name}` }));
    rest = rest.slice(best + name.length + 1);
  }
  return p;
}

/** The quote of the message a reply answers: a button that jumps to it (li.msg[data-seq]). */
export function replyQuote(replyTo, snippet) {
  const dataset = { target: String(replyTo) };
  if (snippet == null) dataset.unresolved = "true"; // filled in once the message it answers is shown (resolveQuotes)
  return h(
    "button",
    { type: "button", className: "reply-quote", dataset, title: "Show the message this answers" },
    h("span", { className: "reply-arrow", "aria-hidden": "true", text: "↩ " }),
    h("span", { className: "reply-snippet", dir: "auto", text: snippet ?? `message #${replyTo}` })
  );
}

/** Gives the quotes in `box` whose message was not shown yet its snippet, once `find(seq)` has it. */
export function resolveQuotes(box, find) {
  for (const quote of box.querySelectorAll(".reply-quote[data-unresolved]")) {
    const snippet = snippetOf(find(Number(quote.dataset.target)));
    if (snippet == null) continue;
    quote.querySelector(".reply-snippet").textContent = snippet;
    delete quote.dataset.unresolved;
  }
}

/** The first line of a message's text, cut, for a reply's quote. */
export function snippetOf(li) {
  const text = li?.querySelector(".text")?.textContent ?? null;
  if (text === null || li.classList.contains("deleted")) return null;
  const line = text.split("\n")[0];
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

/** Puts the message's current text (or its deletion) in place, with "(edited)" when it was. */
export function setText(li, { text, mentions, me, edited, deleted }) {
  const old = li.querySelector(".text");
  if (deleted) {
    li.classList.add("deleted");
    const p = h("p", { className: "text deleted-text", text: "This message was deleted." });
    if (old) old.replaceWith(p);
    else li.append(p);
    li.querySelector(".edited")?.remove();
    li.querySelector(".reactions")?.remove();
    li.querySelector(".msg-actions")?.remove();
    return;
  }
  const p = textWithMentions(text, mentions, me);
  if (Array.isArray(mentions) && mentions.includes(me)) li.classList.add("mentions-me");
  if (old) old.replaceWith(p);
  else li.append(p);
  if (edited) {
    const meta = li.querySelector(".meta");
    let mark = meta.querySelector(".edited");
    if (!mark) {
      mark = h("span", { className: "edited", text: "(edited)" });
      meta.querySelector(".time").after(mark);
    }
    const at = new Date(edited);
    if (!Number.isNaN(at.getTime())) mark.title = `Edited ${at.toLocaleString()}`;
  }
}

/**
 * The reactions row: one button per emoji with its count (pressed when `me` is among its users),
 * which toggles the user's own; removed when there are none.
 */
export function renderReactions(li, reactions, me) {
  let row = li.querySelector(".reactions");
  const entries = [...reactions.entries()].filter(([, users]) => users.length);
  if (!entries.length) {
    row?.remove();
    return;
  }
  if (!row) {
    row = h("div", { className: "reactions" });
    const actions = li.querySelector(".msg-actions");
    if (actions) actions.before(row);
    else li.append(row);
  }
  row.replaceChildren(
    ...entries.map(([emoji, users]) =>
      h(
        "button",
        {
          type: "button",
          className: "reaction",
          dataset: { emoji },
          "aria-pressed": users.includes(me) ? "true" : "false",
          title: users.join(", "),
          "aria-label": `${emoji} ${users.length}: ${users.join(", ")}`,
        },
        h("span", { className: "reaction-emoji", text: emoji }),
        h("span", { className: "reaction-count", text: String(users.length) })
      )
    )
  );
}

/** The actions on a message: reply and react for all, edit and delete for one's own. */
export function actions(own) {
  const button = (action, label, text) => h("button", { type: "button", className: `msg-action ${action}`, dataset: { action }, "aria-label": label, title: label, text });
  const row = h("div", { className: "msg-actions" }, button("reply", "Reply", "↩"));
  for (const emoji of QUICK_REACTIONS.slice(0, 3)) {
    row.append(h("button", { type: "button", className: "msg-action react", dataset: { action: "react", emoji }, "aria-label": `React ${emoji}`, title: `React ${emoji}`, text: emoji }));
  }
  row.append(button("react-other", "React with another emoji", "☺+"));
  if (own) {
    row.append(button("edit", "Edit", "✎"), button("delete", "Delete", "🗑"));
  }
  return row;
}
