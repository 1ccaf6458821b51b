// Mentions in the composer, without the DOM: the `@` word being typed (to complete from the
// members' names) and the names a text mentions, found as the server finds them (EventRows):
// each "@" and what follows up to white space, or that without its trailing punctuation.

/** Characters that end a mention without being part of the name: "@bob," and "(@bob)" mention bob. */
const TRAILING = ".,;:!?)]}'\"";
/** Suggestions shown at most. */
export const MAX_SUGGESTIONS = 8;

/** The names `text` may mention, in order, each once. */
export function candidates(text) {
  const out = new Set();
  for (const m of text.matchAll(/@(\S+)/gu)) {
    let run = m[1];
    while (run) {
      out.add(run);
      if (!TRAILING.includes(run[run.length - 1])) break;
      run = run.slice(0, -1);
    }
  }
  return out;
}

/** The members `text` mentions (not `me`), as the server will list them. */
export function mentionsIn(text, members, me) {
  return [...candidates(text)].filter((n) => n !== me && members.has(n));
}

/**
 * The `@` word that ends at the caret, {start, prefix} (start: the index of "@"), when the "@"
 * begins the text or follows white space; null otherwise (an address such as a@b is no mention).
 */
export function wordAt(value, caret) {
  const before = value.slice(0, caret);
  const m = /(^|\s)@(\S*)$/u.exec(before);
  return m ? { start: caret - m[2].length - 1, prefix: m[2] } : null;
}

/** Members whose names start with `prefix` (any case), `me` aside, sorted, at most MAX_SUGGESTIONS. */
export function suggestions(prefix, members, me) {
  const p = prefix.toLowerCase();
  return [...members]
    .filter((n) => n !== me && n.toLowerCase().startsWith(p))
    .sort((a, b) => a.localeCompare(b))
    .slice(0, MAX_SUGGESTIONS);
}
