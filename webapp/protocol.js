// Protocol v1 constants and pure helpers shared by the other modules.
// Nothing in here touches the DOM or the network, so it is easy to test.

export const PROTOCOL_VERSION = 1;
export const DEFAULT_MAX_TEXT = 4096;
export const ROOM_RE = /^[A-Za-z0-9_-]{1,64}$/;
/** A local account's name (the register and login form): the server's UserName.LOCAL. */
export const LOCAL_NAME_RE = /^[A-Za-z0-9_.-]{1,32}$/;
export const MAX_USER_NAME = 64;
// Control, format (bidi overrides, isolates, zero-width), surrogate, private-use, unassigned,
// line/paragraph separators and any space but U+0020: what the server's UserName refuses.
const REFUSED_IN_NAME = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]/u;

/**
 * Any user's name, as the server's UserName rule has it: 1 to 64 code points (an emoji is one),
 * printable, NFC, no space at either end, not starting with "@". Names from the server are
 * checked too before they key a conversation; they are always shown as text, never as markup.
 */
export function isUserName(name) {
  if (typeof name !== "string" || name === "") return false;
  if (LOCAL_NAME_RE.test(name)) return true;
  return [...name].length <= MAX_USER_NAME && !REFUSED_IN_NAME.test(name) && name === name.normalize("NFC")
    && name.trim() === name && !name.startsWith("@");
}

/**
 * A name inside a sentence ("X is typing…"), isolated (U+2068 … U+2069), so right-to-left
 * letters in it cannot reorder the words around it; a name cannot hold isolates itself.
 */
export const isolate = (name) => `\u2068${name}\u2069`;
export const MIN_PASSWORD = 8;
export const DEFAULT_ROOM = "general";

/** The frame types that are events of a conversation with a seq: shown, or applied to the message they change. */
export const CHANGE_TYPES = new Set(["edited", "deleted", "reaction"]);

/**
 * A server frame carries one or several JSON objects separated by "\n".
 * Returns the parsed objects; malformed lines are logged and skipped so one
 * bad line never hides the others.
 */
export function splitFrame(data) {
  if (typeof data !== "string") return [];
  const out = [];
  for (const line of data.split("\n")) {
    const trimmed = line.trim();
    if (!trimmed) continue;
    try {
      const obj = JSON.parse(trimmed);
      if (obj && typeof obj === "object" && typeof obj.type === "string") out.push(obj);
      else console.warn("Ignoring frame line without a type:", trimmed);
    } catch (err) {
      console.warn("Ignoring malformed frame line:", trimmed, err);
    }
  }
  return out;
}

// Request ids: per-page random prefix + counter. crypto.getRandomValues works
// in non-secure contexts too (crypto.randomUUID does not), e.g. plain http on a LAN.
const ID_PREFIX = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) =>
  b.toString(16).padStart(2, "0")
).join("");
let idCounter = 0;

/** Unique request id, well under the 64-character limit, e.g. "c-1a2b3c4d5e6f-42". */
export function newId(kind = "r") {
  idCounter += 1;
  return `${kind}-${ID_PREFIX}-${idCounter}`;
}

/** What to do after the socket closed. */
export const CloseAction = Object.freeze({
  RECONNECT: "reconnect", // schedule a new attempt with backoff
  LOGIN: "login", // terminal: forget the token, back to the login form
  STOP: "stop", // the server asked us not to reconnect, but the token is still fine
});

const isAuthTerminal = (code) => code === 1008 || (code >= 4500 && code <= 4999);

function findCloseCode(code, protocolInfo) {
  const list = protocolInfo && Array.isArray(protocolInfo.closeCodes) ? protocolInfo.closeCodes : [];
  return list.find((entry) => entry && entry.code === code) || null;
}

/**
 * Decide what a close code means. Uses GET api/protocol when it was available,
 * otherwise the fallback rule: 4500-4999 and 1008 are terminal, everything else
 * (including 1006 "abnormal closure" when the handshake failed) reconnects.
 * Our own logout never reaches this function.
 */
export function closeAction(code, protocolInfo) {
  const entry = findCloseCode(code, protocolInfo);
  if (entry && typeof entry.reconnect === "boolean") {
    if (entry.reconnect) return CloseAction.RECONNECT;
    return isAuthTerminal(code) ? CloseAction.LOGIN : CloseAction.STOP;
  }
  return isAuthTerminal(code) ? CloseAction.LOGIN : CloseAction.RECONNECT;
}

const EXPLANATIONS = {
  4500: "You are not authorised any more, please log in again.",
  4501: "Your session expired, please log in again.",
  4502: "The server refused the connection from this page's address (origin not allowed).",
  4503: "Your session was ended (logged out, or the password was changed), please log in again.",
  1008: "The server closed the connection (policy violation), please log in again.",
};

/** Human readable text shown on the login form after a terminal close. */
export function closeExplanation(code, reason, protocolInfo) {
  if (EXPLANATIONS[code]) return EXPLANATIONS[code];
  const entry = findCloseCode(code, protocolInfo);
  const detail = (entry && (entry.meaning || entry.name)) || reason || `code ${code}`;
  return `You were disconnected (${detail}), please log in again.`;
}
