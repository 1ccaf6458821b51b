// Entry point: wires the login form, the connection and the chat UI together.

import * as api from "./api.js";
import { Connection, ConnState, socketUrl } from "./connection.js";
import {
  CloseAction,
  DEFAULT_MAX_TEXT,
  DEFAULT_ROOM,
  MIN_PASSWORD,
  PROTOCOL_VERSION,
  ROOM_RE,
  LOCAL_NAME_RE,
  closeAction,
  closeExplanation,
  isUserName,
  newId,
} from "./protocol.js";
import { SendPacer } from "./pacer.js";
import * as session from "./session.js";
import { ProviderSession, providerAnswer } from "./provider-session.js";
import { ServerSession } from "./server-session.js";
import { ChatState, dmKey } from "./state.js";
import * as view from "./view.js";
import * as messageView from "./message-view.js";

const $ = (id) => document.getElementById(id);

const dom = {
  authView: $("auth-view"),
  authForm: $("auth-form"),
  authSub: $("auth-sub"),
  providerAuth: $("provider-auth"),
  providerBtn: $("provider-btn"),
  authOr: $("auth-or"),
  localAuth: $("local-auth"),
  authActions: document.querySelector(".auth-actions"),
  username: $("username"),
  password: $("password"),
  loginBtn: $("login-btn"),
  registerBtn: $("register-btn"),
  authError: $("auth-error"),
  chatView: $("chat-view"),
  connState: $("conn-state"),
  reconnectBtn: $("reconnect-btn"),
  logoutBtn: $("logout-btn"),
  me: $("me"),
  roomForm: $("room-form"),
  roomInput: $("room-input"),
  roomPrivate: $("room-private"),
  roomError: $("room-error"),
  roomList: $("room-list"),
  invitations: $("invitations"),
  dmForm: $("dm-form"),
  dmInput: $("dm-input"),
  dmError: $("dm-error"),
  dmList: $("dm-list"),
  roomTitle: $("room-title"),
  inviteForm: $("invite-form"),
  inviteInput: $("invite-input"),
  historyState: $("history-state"),
  messages: $("messages"),
  typing: $("typing"),
  emptyState: $("empty-state"),
  composer: $("composer"),
  messageInput: $("message-input"),
  messageLabel: $("message-label"),
  sendBtn: $("send-btn"),
  composerError: $("composer-error"),
  charCount: $("char-count"),
  members: $("members"),
  memberCount: $("member-count"),
  roomsPanel: $("rooms-panel"),
  membersPanel: $("members-panel"),
  roomsToggle: $("rooms-toggle"),
  membersToggle: $("members-toggle"),
  backdrop: $("backdrop"),
  toast: $("toast"),
  live: $("live"),
};

// ---------- module state ----------

/** Typing frames are sent at most this often per room; the server relays them to the others. */
const TYPING_SEND_INTERVAL_MS = 3000;
/** "alice is typing…" disappears this long after alice's last typing frame. */
const TYPING_SHOW_MS = 5000;
/** A send refused with `unavailable` (the database unreachable) or `rate_limited` is sent again, same id, after this pause. */
const UNAVAILABLE_RETRY_MS = 3000;
const HISTORY_PAGE = 50;
/** A gap seen in the live stream is fetched in pages of at most this many (the gap's size when smaller). */
const REPAIR_PAGE_MAX = 100;
/** Scrolled this close to the top of the list: load the previous page. */
const LOAD_OLDER_THRESHOLD_PX = 40;
/** Stays where messages are missing for good: the server's history no longer holds them (retention), or it was replaced. */
const GAP_NOTICE = "Some messages could not be recovered";
/** Marks a gap while it is being filled from the history; removed once filled. */
const FILL_NOTICE = "Loading earlier messages…";

let protocolInfo = null;
/** Own messages go out through this, within the server's rate limit (see pacer.js). */
const sendPacer = new SendPacer((id) => sendEntry(id));
const protocolReady = api.fetchProtocol().then((info) => {
  protocolInfo = info;
  sendPacer.setRate(info?.rate);
  return info;
});
const maxText = () => (Number.isInteger(protocolInfo?.maxText) ? protocolInfo.maxText : DEFAULT_MAX_TEXT);

let chat = null; // ChatState of the logged-in session
let conn = null; // Connection of the logged-in session
/** Counts welcomes: an own message is sent at most once per connection unless a retry is due. */
let connGeneration = 0;
/** In-flight requests other than sends, by id: {kind: "join"|"leave"|"history"|"create"|"invite", room?, key?, mode?} */
const pending = new Map();
/**
 * Own messages not acked yet, by request id, in the order they were written:
 * {key, room?, to?, text, el, sentIn}. They survive a lost connection and are
 * sent again, with the same id, once their conversation is back.
 */
const outbox = new Map();
let outboxRetryTimer = 0;
/** Own message element -> {key, room?, to?, text}, used by "Retry". */
const outgoing = new WeakMap();
/** Room -> time we last sent a typing frame for it. */
const typingSentAt = new Map();
const pane = new view.MessagePane(dom.messages);

const toast = (message, kind = "error") => view.showToast(dom.toast, message, kind);
// The login's session on the server: keeps this tab's token fresh (see server-session.js).
const serverSession = new ServerSession({
  send: (frame) => conn?.send(frame),
  onEnded: () => endSession("Your session ended, please log in again."),
});
/** The identity provider's sign-in, when the server offers one (GET api/auth); see provider-session.js. */
let providerSession = null;
/** The sign-in of the open chat: serverSession (a local account) or providerSession. */
let activeSession = serverSession;
/** Whether the server offers local accounts (GET api/auth; true when it cannot be asked). */
let localAccounts = true;
const announce = (text) => view.announce(dom.live, text);

// =====================================================================
// Authentication view
// =====================================================================

function showAuth(message = "") {
  dom.chatView.hidden = true;
  dom.authView.hidden = false;
  dom.authError.textContent = message;
  document.title = "Chat";
  (localAccounts ? dom.username : dom.providerBtn).focus();
}

/** Shows the sign-ins the server offers: the provider's button, local accounts, registration. */
function renderAuthChoices(auth) {
  localAccounts = auth?.localAccounts !== false;
  const registration = localAccounts && auth?.registration !== false;
  dom.localAuth.hidden = !localAccounts;
  dom.registerBtn.hidden = !registration;
  dom.authActions.classList.toggle("single", !registration);
  dom.providerAuth.hidden = !providerSession;
  dom.authOr.hidden = !(providerSession && localAccounts);
  if (providerSession) dom.providerBtn.textContent = `Sign in with ${providerSession.name}`;
  dom.authSub.textContent = !localAccounts
    ? `Sign in with your ${providerSession ? providerSession.name : "organisation's"} account.`
    : registration
      ? "Log in, or pick a name and password to create an account."
      : "Log in with your account.";
}

async function onProviderSignIn() {
  dom.authError.textContent = "";
  setAuthBusy(true);
  try {
    await providerSession.begin(); // the browser leaves for the provider
  } catch (err) {
    dom.authError.textContent = err.message;
    setAuthBusy(false);
  }
}

function validateCredentials(mode, username, password) {
  if (!LOCAL_NAME_RE.test(username)) {
    return { field: dom.username, message: "User name: 1 to 32 letters, digits, “_”, “.” or “-”." };
  }
  if (!password) return { field: dom.password, message: "Please enter your password." };
  if (mode === "register" && password.length < MIN_PASSWORD) {
    return { field: dom.password, message: `Password must be at least ${MIN_PASSWORD} characters.` };
  }
  return null;
}

function setAuthBusy(busy) {
  dom.authForm.setAttribute("aria-busy", String(busy));
  dom.loginBtn.disabled = busy;
  dom.registerBtn.disabled = busy;
  dom.providerBtn.disabled = busy;
}

function setFieldInvalid(field, invalid) {
  if (invalid) field.setAttribute("aria-invalid", "true");
  else field.removeAttribute("aria-invalid");
}

async function onAuthSubmit(event) {
  event.preventDefault();
  // Enter in a field submits with the first button, i.e. "Log in".
  const mode = event.submitter === dom.registerBtn ? "register" : "login";
  const username = dom.username.value.trim();
  const password = dom.password.value;
  setFieldInvalid(dom.username, false);
  setFieldInvalid(dom.password, false);
  const problem = validateCredentials(mode, username, password);
  if (problem) {
    dom.authError.textContent = problem.message;
    setFieldInvalid(problem.field, true);
    problem.field.focus();
    return;
  }
  dom.authError.textContent = "";
  setAuthBusy(true);
  try {
    if (mode === "register") await api.register(username, password);
    const { token, expiresIn } = await api.login(username, password);
    session.saveSession({ token, user: username, expiresIn });
    serverSession.signedIn();
    activeSession = serverSession;
    dom.password.value = "";
    enterChat();
  } catch (err) {
    dom.authError.textContent = err instanceof api.ApiError ? err.message : "Something went wrong, please try again.";
  } finally {
    setAuthBusy(false);
  }
}

// =====================================================================
// Entering / leaving the chat
// =====================================================================

function enterChat() {
  const s = session.loadSession();
  if (!s) return showAuth();
  if (session.isExpired(s)) return endSession("Your session expired, please log in again.");

  chat = new ChatState(s.user);
  pending.clear();
  clearOutbox();
  pane.reset();
  dom.invitations.replaceChildren();
  const seqs = session.loadSeqs();
  const owned = new Set(session.loadOwnedRooms());
  const rooms = (session.loadRooms() ?? [DEFAULT_ROOM]).filter((r) => ROOM_RE.test(r));
  for (const name of rooms) {
    const room = chat.add(name);
    room.owned = owned.has(name);
    if (name in seqs) room.skipTo(seqs[name]);
    pane.ensure(name);
  }
  for (const user of session.loadDms().filter(isUserName)) {
    const dm = chat.addDm(user);
    if (dm.key in seqs) dm.skipTo(seqs[dm.key]);
    pane.ensure(dm.key);
  }
  const saved = session.loadCurrentRoom();
  switchTo(saved && chat.byKey(saved) ? saved : chat.firstKey(), { focus: false });

  dom.me.textContent = s.user;
  dom.authView.hidden = true;
  dom.chatView.hidden = false;
  dom.messageInput.focus();
  activeSession.keep();
  startConnection();
}

function startConnection() {
  const myConn = new Connection({
    getUrl: () => {
      const s = session.loadSession();
      return s && !session.isExpired(s) ? socketUrl(s.token) : null;
    },
    getCloseAction: (code) => closeAction(code, protocolInfo),
    onFrame: handleFrame,
    onState: renderConnState,
    onClose: handleDisconnect,
    onStop: handleStop,
  });
  conn = myConn;
  renderConnState(ConnState.CONNECTING, {});
  // Wait for api/protocol (or its failure) so close codes can be classified.
  protocolReady.then(() => {
    if (conn === myConn) myConn.start();
  });
}

/** Terminal: forget everything and return to the login form. */
function endSession(message = "") {
  activeSession.stop();
  if (conn) conn.stop(1000, "logout");
  conn = null;
  if (chat) for (const room of chat.rooms.values()) clearTyping(room);
  chat = null;
  pending.clear();
  clearOutbox();
  pane.reset();
  dom.roomList.replaceChildren();
  dom.dmList.replaceChildren();
  dom.invitations.replaceChildren();
  dom.members.replaceChildren();
  dom.typing.textContent = "";
  dom.historyState.textContent = "";
  dom.live.replaceChildren();
  closePanels();
  session.clearSession();
  showAuth(message);
}

function handleStop(action, code, reason) {
  if (action === CloseAction.LOGIN) {
    // expired (a sleeping laptop missed the refresh): a new token from the session, and on
    if (code === 4501 && chat) {
      activeSession.renew().then((ok) => (ok && chat ? startConnection() : endSession(closeExplanation(code, reason, protocolInfo))));
      return;
    }
    endSession(closeExplanation(code, reason, protocolInfo));
    return;
  }
  // STOP: the server asked us not to reconnect; the token may still be valid.
  toast(`Disconnected by the server${reason ? `: ${reason}` : ""}. Use “Reconnect now” to try again.`);
}

function renderConnState(state, info) {
  view.renderConnState(dom.connState, state, info);
  dom.reconnectBtn.hidden = !(state === ConnState.RECONNECTING || state === ConnState.OFFLINE) || !conn;
}

/**
 * Socket lost: requests in flight will never be answered, but own messages stay
 * pending; they are sent again (same id) once their room is rejoined.
 */
function handleDisconnect() {
  pending.clear();
  if (!chat) return;
  for (const room of chat.rooms.values()) {
    room.status = "joining";
    room.replayBuffer = null;
    room.loadingOlder = false;
    room.repairing = false;
    clearTyping(room);
  }
  for (const dm of chat.dms.values()) {
    dm.synced = false;
    dm.loadingOlder = false;
    dm.repairing = false;
  }
  dom.historyState.textContent = "";
  renderRooms();
  renderTyping();
}

// =====================================================================
// Server frames
// =====================================================================

const frameHandlers = {
  welcome: onWelcome,
  joined: onJoined,
  created: onCreated,
  left: onLeft,
  ack: onAck,
  message: onMessage,
  history: onHistory,
  presence: onPresence,
  typing: onTyping,
  invited: onInvited,
  invitation: onInvitation,
  removed: onRemoved,
  error: onError,
  edited: onChange,
  deleted: onChange,
  reaction: onChange,
};

/** The frame types that are events of a conversation with a seq: shown, or applied to the message they change. */
const CHANGE_TYPES = new Set(["edited", "deleted", "reaction"]);

function handleFrame(frame) {
  if (!chat) return;
  const handler = frameHandlers[frame.type];
  if (handler) handler(frame);
  else console.debug("Unhandled frame", frame);
}

function onWelcome(f) {
  connGeneration += 1;
  sendPacer.reset(); // a fresh bucket on the server too
  if (typeof f.user === "string" && f.user) {
    chat.me = f.user;
    dom.me.textContent = f.user;
    session.updateUser(f.user);
  }
  if (f.protocol !== PROTOCOL_VERSION) toast(`Server speaks protocol ${f.protocol}; this page expects ${PROTOCOL_VERSION}.`, "info");
  // Another epoch means the server's history was replaced (a new database): the seqs kept here
  // belong to the old one, so every conversation starts over. This is the only case that does.
  if (typeof f.epoch === "string") {
    const known = session.loadEpoch();
    if (known !== null && known !== f.epoch) {
      for (const conv of [...chat.rooms.values(), ...chat.dms.values()]) if (conv.lastSeq !== null) startOver(conv);
      saveSeqs();
    }
    session.saveEpoch(f.epoch);
  }
  // (Re)join every room we are supposed to be in, from where we left off.
  for (const name of chat.names()) sendJoin(name);
  // Direct conversations need no join: fetch their latest page and merge it.
  for (const dm of chat.dms.values()) requestLatest(dm);
}

function onJoined(f) {
  takePending(f.id);
  const room = chat.get(f.room);
  if (!room) return sendLeave(f.room); // we left while the join was in flight
  const firstTime = !room.everJoined;
  const replayed = room.replayBuffer ?? [];
  room.replayBuffer = null;
  // What is shown stays. The replay goes in by seq: the whole gap (recovered), or with
  // `recovered:false` the latest messages only, and the gap below them is filled from the history.
  for (const m of replayed) showEvent(room, m);
  if (room.lastSeq === null) room.skipTo(f.seq); // a fresh view: this page's knowledge starts here
  else room.know(f.seq);
  if (f.recovered === false) room.filling = true;
  saveSeqs();
  room.status = "joined";
  room.everJoined = true;
  room.members = new Set(Array.isArray(f.members) ? f.members.filter((m) => typeof m === "string") : []);
  if (firstTime) addSystemLine(room.key, `You joined #${room.name}`, false);
  renderRooms();
  if (room.key === chat.current) {
    renderMembers();
    renderRoomHeader();
  }
  flushOutbox(room.key);
  repairGap(room);
  fillView(room);
}

/**
 * The server's history was replaced (another epoch): the seqs shown belong to a history that is
 * gone, so say so, forget the old view and its seqs, and let the next join rebuild it. Own
 * messages still waiting for their ack stay, at the bottom.
 */
function startOver(conv) {
  const waiting = pane.pendingNodes(conv.key);
  pane.clear(conv.key);
  conv.resetSeqs(null);
  pane.append(conv.key, view.createSystemLine(GAP_NOTICE, new Date(), "gap-notice"), new Date());
  for (const el of waiting) pane.append(conv.key, el, new Date());
  if (conv.key === chat.current) announce(`${GAP_NOTICE} in ${title(conv)}`);
}

function onCreated(f) {
  takePending(f.id);
  const room = chat.get(f.room);
  if (!room) return sendLeave(f.room);
  room.owned = true;
  room.status = "joined";
  room.everJoined = true;
  room.skipTo(0);
  room.members = new Set([chat.me]);
  saveRooms();
  addSystemLine(room.key, `You created the ${f.private ? "private " : ""}room #${room.name}`, false);
  renderRooms();
  if (room.key === chat.current) {
    renderMembers();
    renderRoomHeader();
  }
  flushOutbox(room.key);
}

function onLeft(f) {
  takePending(f.id); // the room was already removed locally when we asked to leave
}

function onAck(f) {
  const entry = typeof f.id === "string" ? outbox.get(f.id) : null;
  if (!entry) return; // a second ack for a resent message
  outbox.delete(f.id);
  const conv = chat.byKey(entry.key);
  if (conv && typeof f.seq === "number") {
    conv.markSeq(f.seq);
    saveSeqs();
  }
  view.markSent(entry.el, f.seq);
}

/** The conversation a frame belongs to: its room, or for a direct message (or a change of one) the other user. */
function conversationOf(f) {
  if (typeof f.room === "string") return chat.get(f.room);
  const actor = f.from ?? f.by;
  const other = actor === chat.me ? f.to : actor;
  if (!isUserName(other)) return null;
  return openDmState(other);
}

/** One event of a conversation, from a replay, a history page or a gap fill: a message, or a change of one. */
function showEvent(conv, f, options) {
  return CHANGE_TYPES.has(f.type) ? applyChange(conv, f) : showMessage(conv, f, options);
}

/** A live edit, delete or reaction: applied to the message it changes, in seq order like a message. */
function onChange(f) {
  const conv = conversationOf(f);
  if (!conv || typeof f.seq !== "number") return;
  if (conv.kind === "room" && conv.replayBuffer) {
    conv.replayBuffer.push(f);
    return;
  }
  const skipped = conv.lastSeq !== null && f.seq > conv.lastSeq + 1;
  applyChange(conv, f);
  if (skipped) repairGap(conv);
}

/**
 * Applies a change to the message it targets, if it is shown (a message shown later comes from
 * the server as it stands, this change included), and counts its seq as seen. Applying one again
 * changes nothing: an edit sets the text, a delete the deletion, a reaction whether it is there.
 */
function applyChange(conv, f) {
  if (typeof f.seq !== "number" || !conv.markSeq(f.seq)) return false;
  saveSeqs();
  const li = pane.bySeq(conv.key, f.target);
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
function resolveQuotes(conv) {
  const box = pane.box(conv.key);
  if (box) messageView.resolveQuotes(box, (seq) => pane.bySeq(conv.key, seq));
}

/** Each shown message's reactions as they stand: emoji -> users, in the order they reacted. */
const reactionsOf = new WeakMap();

const mentionsOf = (li) => (li.dataset.mentions ? li.dataset.mentions.split("\n") : []);

/**
 * A message element with everything the server says of it: the quote of what it answers, its
 * text with mentions marked (or its deletion), "(edited)", its reactions.
 */
function createMessageElement(conv, f, from) {
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

function onMessage(f) {
  const conv = conversationOf(f);
  if (!conv || (typeof f.text !== "string" && f.deleted !== true)) return;
  // A rejoin's replay waits for `joined`, which says whether it closes the gap or starts over.
  if (conv.kind === "room" && conv.replayBuffer) {
    conv.replayBuffer.push(f);
    return;
  }
  // Skipping ahead of the gap-free seq (shown up to 10, then 13) means 11 and 12 went missing.
  const skipped = typeof f.seq === "number" && conv.lastSeq !== null && f.seq > conv.lastSeq + 1;
  showMessage(conv, f);
  if (skipped) repairGap(conv);
}

/** Shows one message frame (live, replayed or from history) unless its seq is shown already. */
function showMessage(conv, f, { live = true } = {}) {
  if (typeof f.text !== "string" && f.deleted !== true) return false;
  const from = typeof f.from === "string" ? f.from : "?";
  if (from === chat.me && ackedByEcho(conv, f)) return true;
  if (!conv.markSeq(f.seq)) return false; // duplicate
  saveSeqs();
  const date = view.parseTs(f.ts);
  const el = createMessageElement(conv, f, from);
  if (typeof f.seq === "number") pane.insertBySeq(conv.key, el, date, f.seq);
  else pane.append(conv.key, el, date);
  resolveQuotes(conv);
  if (!live) return true; // from the history: neither news nor a sign that its author stopped typing
  if (conv.kind === "room") stopTyping(conv, from);
  if (from === chat.me) return true;
  if (conv.key !== chat.current) {
    conv.unread += 1;
    renderRooms();
  } else {
    announce(`${from}: ${truncate(f.text, 200)}`);
  }
  return true;
}

/**
 * One of our own pending messages came back from the history or a gap fill (it was stored but
 * its ack was lost with the connection, or answered `unavailable`): it is sent, not a second
 * message, and moves to where its seq belongs.
 */
function ackedByEcho(conv, f) {
  const entry = typeof f.id === "string" ? outbox.get(f.id) : null;
  if (!entry || entry.key !== conv.key) return false;
  outbox.delete(f.id);
  conv.markSeq(f.seq);
  saveSeqs();
  view.markSent(entry.el, f.seq);
  if (typeof f.seq === "number") pane.placeBySeq(conv.key, entry.el, f.seq);
  return true;
}

function onHistory(f) {
  const p = takePending(f.id);
  const conv = typeof f.room === "string" ? chat.get(f.room) : typeof f.with === "string" ? chat.dm(f.with) : null;
  if (!conv) return;
  // every event of the page: messages as they stand (deleted ones without text) and the changes among them
  const messages = (Array.isArray(f.messages) ? f.messages : [])
    .filter((m) => m && typeof m.seq === "number" && (typeof m.text === "string" || m.deleted === true || CHANGE_TYPES.has(m.type)))
    .sort((x, y) => x.seq - y.seq);
  if (p?.mode === "latest") mergeLatest(conv, messages);
  else if (p?.mode === "gap") fillFromPage(conv, messages, p);
  else prependOlder(conv, messages);
}

/** A page of older messages: prepended above what is shown, scroll position kept. */
function prependOlder(conv, messages) {
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
    if (from === chat.me && ackedByEcho(conv, m)) continue;
    if (conv.markSeq(m.seq)) {
      items.push({ node: createMessageElement(conv, m, from), date: view.parseTs(m.ts) });
    }
  }
  if (!messages.length || messages[0].seq <= 1) {
    conv.exhausted = true;
    if (conv.key === chat.current && !messages.length) dom.historyState.textContent = "No older messages.";
  }
  pane.prepend(conv.key, items);
  resolveQuotes(conv);
  if (!conv.exhausted) fillView(conv);
}

/**
 * The latest page of a direct conversation after a (re)connect, merged by seq into what is
 * shown, which stays. When it does not reach down to what was seen before, the gap between
 * is filled from the history, as a room's `recovered:false` is.
 */
function mergeLatest(conv, messages) {
  const fresh = conv.lastSeq === null;
  for (const m of messages) showEvent(conv, m, { live: !fresh });
  conv.synced = true;
  const newest = messages.length ? messages[messages.length - 1].seq : 0;
  if (fresh) conv.skipTo(newest); // this page's knowledge of the conversation starts here
  else if (conv.gap()) conv.filling = true;
  saveSeqs();
  flushOutbox(conv.key);
  repairGap(conv);
  fillView(conv);
}

/**
 * Asks for the missing stretch just above the conversation's gap-free seq, if there is one and
 * no such request is in flight (one per conversation: a burst of messages that skip ahead
 * costs one request, re-checked when it answers): the page just below the lowest seq seen above
 * the gap (or just above the highest known one). A gap the server did not replay (`filling`)
 * goes by HISTORY_PAGE under a "Loading earlier messages…" line where the gap is; one seen in the
 * live stream asks for just its size, at most REPAIR_PAGE_MAX, without a line.
 */
function repairGap(conv) {
  if (!conv || conv.repairing || !isReady(conv.key)) return;
  const gap = conv.gap();
  if (!gap) return endFill(conv);
  const before = gap.to + 1;
  const limit = conv.filling ? HISTORY_PAGE : Math.min(before - gap.from, REPAIR_PAGE_MAX);
  const id = newId("g");
  const frame = { type: "history", before, limit, id };
  if (conv.kind === "room") frame.room = conv.name;
  else frame.with = conv.user;
  pending.set(id, { kind: "history", key: conv.key, mode: "gap", before, limit });
  if (!conn.send(frame)) return pending.delete(id);
  conv.repairing = true;
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
function fillFromPage(conv, messages, p) {
  conv.repairing = false;
  const start = conv.lastSeq + 1;
  for (const m of messages) if (typeof m.seq === "number") showEvent(conv, m, { live: false });
  const reached = messages.length < p.limit || messages[0].seq <= start;
  if (reached && conv.lastSeq < p.before - 1) markLost(conv, p.before - 1);
  saveSeqs();
  repairGap(conv);
}

/** Seqs up to `upTo` that are still missing are gone for good: a line says so where they were, and the seqs go on past them. */
function markLost(conv, upTo) {
  pane.fillNotice(conv.key)?.remove();
  pane.placeAfterSeq(conv.key, view.createSystemLine(GAP_NOTICE, new Date(), "gap-notice"), conv.lastSeq);
  conv.skipTo(upTo);
  if (conv.key === chat.current) announce(`${GAP_NOTICE} in ${title(conv)}`);
}

/** No gap left: the "Loading earlier messages…" line goes. */
function endFill(conv) {
  conv.filling = false;
  pane.fillNotice(conv.key)?.remove();
}

function onPresence(f) {
  const room = chat.get(f.room);
  if (!room || typeof f.user !== "string") return;
  if (f.state === "joined") room.members.add(f.user);
  else if (f.state === "left" && f.user !== chat.me) room.members.delete(f.user); // our other tab left, we did not
  else return;
  if (f.state === "left") stopTyping(room, f.user);
  addSystemLine(room.key, `${f.user} ${f.state === "joined" ? "joined" : "left"}`, true);
  if (room.key === chat.current) renderMembers();
}

function onTyping(f) {
  const room = chat.get(f.room);
  if (!room || typeof f.user !== "string" || f.user === chat.me) return;
  clearTimeout(room.typing.get(f.user));
  room.typing.set(f.user, setTimeout(() => stopTyping(room, f.user), TYPING_SHOW_MS));
  if (room.key === chat.current) renderTyping();
}

function stopTyping(room, user) {
  if (!room.typing.has(user)) return;
  clearTimeout(room.typing.get(user));
  room.typing.delete(user);
  if (room.key === chat?.current) renderTyping();
}

function clearTyping(room) {
  for (const timer of room.typing.values()) clearTimeout(timer);
  room.typing.clear();
}

function onInvited(f) {
  takePending(f.id);
  if (typeof f.user !== "string" || typeof f.room !== "string") return;
  addSystemLine(f.room, `You invited ${f.user}`, true);
}

function onInvitation(f) {
  if (typeof f.room !== "string" || !ROOM_RE.test(f.room) || chat.get(f.room)) return;
  const from = typeof f.from === "string" ? f.from : "someone";
  dom.invitations.querySelector(`li[data-room="${CSS.escape(f.room)}"]`)?.remove();
  dom.invitations.append(view.createInvitation(f.room, from));
  announce(`${from} invited you to #${f.room}`);
}

function onRemoved(f) {
  const room = typeof f.room === "string" ? chat.get(f.room) : null;
  if (!room) return;
  const by = typeof f.by === "string" && f.by ? ` by ${f.by}` : "";
  const reason = typeof f.reason === "string" && f.reason ? ` (${f.reason})` : "";
  dropOutbox(room.key);
  removeRoom(room.name);
  const message = `You were removed from #${room.name}${by}${reason}.`;
  toast(message);
  announce(message);
}

function onError(f) {
  const message = typeof f.message === "string" && f.message ? f.message : f.code || "Unknown error";
  const entry = typeof f.id === "string" ? outbox.get(f.id) : null;
  if (entry) return sendRefused(f, entry, message);
  const p = takePending(f.id);
  if (p?.kind === "join" || p?.kind === "create") {
    const room = chat.get(p.room);
    if (room) room.replayBuffer = null;
    // A private room without an invitation (or after a kick while we were away) is gone for good.
    if (room && (!room.everJoined || f.code === "forbidden")) {
      dropOutbox(room.key);
      removeRoom(p.room);
    }
    const why = f.code === "forbidden" ? "it is private and you have no invitation" : message;
    toast(`Could not ${p.kind} #${p.room}: ${why}`);
  } else if (p?.kind === "history") {
    const conv = chat.byKey(p.key);
    if (conv) {
      conv.loadingOlder = false;
      if (p.mode === "latest") {
        conv.synced = true; // without its history; its pending messages must not wait for it
        flushOutbox(conv.key);
      } else if (p.mode === "gap") {
        conv.repairing = false;
        // the history is out of reach for now (`unavailable`): the gap is asked for again shortly
        if (f.code === "unavailable") setTimeout(() => chat?.byKey(p.key) === conv && repairGap(conv), UNAVAILABLE_RETRY_MS);
      }
    }
    dom.historyState.textContent = "";
    if (f.code !== "unavailable") toast(`Could not load messages: ${message}`);
  } else if (p?.kind === "invite") {
    toast(`Could not invite ${p.user}: ${message}`);
  } else {
    toast(message);
  }
}

/**
 * `unavailable` (the cluster cannot store it now) or `rate_limited` (dropped unread, over the
 * connection's bucket): stays pending and goes again, same id, after a pause. Else: failed, with Retry.
 */
function sendRefused(f, entry, message) {
  if (f.code === "unavailable" || f.code === "rate_limited") {
    entry.sentIn = 0;
    scheduleOutboxRetry();
    return;
  }
  outbox.delete(f.id);
  view.markFailed(entry.el, message);
  toast(`Message not sent: ${message}`);
}

function takePending(id) {
  if (typeof id !== "string" || !pending.has(id)) return null;
  const p = pending.get(id);
  pending.delete(id);
  return p;
}

function addSystemLine(key, text, announceIt) {
  if (!chat.byKey(key)) return;
  pane.append(key, view.createSystemLine(text), new Date());
  if (announceIt && key === chat.current) announce(`${text} ${title(chat.byKey(key))}`);
}

const truncate = (s, n) => (s.length > n ? `${s.slice(0, n)}…` : s);
const title = (conv) => (conv.kind === "dm" ? `@${conv.user}` : `#${conv.name}`);

// =====================================================================
// Client requests
// =====================================================================

function sendJoin(name) {
  const room = chat.get(name);
  const id = newId("j");
  const frame = { type: "join", room: name, id };
  if (room && room.lastSeq !== null) {
    frame.since = room.lastSeq;
    room.replayBuffer = [];
  }
  pending.set(id, { kind: "join", room: name });
  if (!conn?.send(frame)) {
    pending.delete(id);
    if (room) room.replayBuffer = null;
  }
}

function sendLeave(name) {
  const id = newId("l");
  pending.set(id, { kind: "leave", room: name });
  if (!conn?.send({ type: "leave", room: name, id })) pending.delete(id);
}

function sendCreate(name) {
  const id = newId("k");
  pending.set(id, { kind: "create", room: name });
  if (!conn?.send({ type: "create", room: name, private: true, id })) pending.delete(id);
}

/** Asks for the page before the lowest seq shown; the reply is prepended. */
function loadOlder(conv) {
  if (!conv || conv.loadingOlder || conv.exhausted || !isReady(conv.key)) return;
  const before = pane.lowestSeq(conv.key) ?? (conv.lastSeq ?? 0) + 1;
  if (before <= 1) {
    conv.exhausted = true;
    return;
  }
  const id = newId("h");
  const frame = { type: "history", before, limit: HISTORY_PAGE, id };
  if (conv.kind === "room") frame.room = conv.name;
  else frame.with = conv.user;
  pending.set(id, { kind: "history", key: conv.key, mode: "older" });
  if (!conn.send(frame)) return pending.delete(id);
  conv.loadingOlder = true;
  if (conv.key === chat.current) dom.historyState.textContent = "Loading older messages…";
}

/** The latest page of a direct conversation (no `before`), merged into what is shown. */
function requestLatest(dm) {
  const id = newId("h");
  pending.set(id, { kind: "history", key: dm.key, mode: "latest" });
  if (!conn?.send({ type: "history", with: dm.user, limit: HISTORY_PAGE, id })) pending.delete(id);
}

/** While the list in view has no scroll bar, older messages are fetched until it has one or none are left. */
function fillView(conv) {
  if (conv.key === chat.current && pane.notScrollable()) loadOlder(conv);
}

// ---------- own messages ----------

/** Queues an own message element; it stays .pending until acked, across reconnects. */
function transmit(el, target, text, id = newId("c")) {
  view.markPending(el, id);
  const entry = { ...target, text, el, sentIn: 0 };
  outbox.set(id, entry);
  outgoing.set(el, { ...target, text });
  if (isReady(entry.key)) sendPacer.push(id);
}

/** A room once joined on this connection; a direct conversation once its latest page is merged. */
function isReady(key) {
  const conv = chat?.byKey(key);
  if (!conv || !conn?.isOpen) return false;
  return conv.kind === "room" ? conv.status === "joined" : conv.synced;
}

/**
 * The pacer's turn for an own message: sends it unless it has been acked, was sent on this
 * connection already, or its conversation is not ready (then it is queued again once it is).
 * True when a frame went out.
 */
function sendEntry(id) {
  const entry = outbox.get(id);
  if (!entry || entry.sentIn === connGeneration || !isReady(entry.key)) return false;
  const frame = entry.room ? { type: "send", room: entry.room, text: entry.text, id } : { type: "send", to: entry.to, text: entry.text, id };
  if (!conn?.send(frame)) return false;
  entry.sentIn = connGeneration;
  return true;
}

/**
 * Sends (again, same id) every message of one conversation not yet sent on this connection, in the
 * order they were written, paced: after an outage they may be many more than the server's burst.
 */
function flushOutbox(key) {
  if (!isReady(key)) return;
  for (const [id, entry] of outbox) {
    if (entry.key === key && entry.sentIn !== connGeneration) sendPacer.push(id);
  }
}

function scheduleOutboxRetry() {
  if (outboxRetryTimer) return;
  outboxRetryTimer = setTimeout(() => {
    outboxRetryTimer = 0;
    const keys = new Set([...outbox.values()].filter((e) => e.sentIn === 0).map((e) => e.key));
    for (const key of keys) flushOutbox(key);
  }, UNAVAILABLE_RETRY_MS);
}

/** Forget the pending messages of a conversation we are no longer in (left, removed). */
function dropOutbox(key) {
  for (const [id, entry] of outbox) {
    if (entry.key !== key) continue;
    outbox.delete(id);
    view.markFailed(entry.el, "no longer in this conversation");
  }
}

function clearOutbox() {
  outbox.clear();
  sendPacer.clear();
  clearTimeout(outboxRetryTimer);
  outboxRetryTimer = 0;
}

let seqsDue = false;

/**
 * Saves every conversation's last seq, once per turn of the event loop however many messages
 * arrived in it (a replay or a coalesced frame brings dozens), not once per message.
 */
function saveSeqs() {
  if (seqsDue) return;
  seqsDue = true;
  queueMicrotask(() => {
    seqsDue = false;
    if (!chat) return; // the session ended in the same turn; it cleared the storage
    const seqs = {};
    for (const conv of [...chat.rooms.values(), ...chat.dms.values()]) if (conv.lastSeq !== null) seqs[conv.key] = conv.lastSeq;
    session.saveSeqs(seqs);
  });
}

// =====================================================================
// Rooms and direct conversations
// =====================================================================

function joinRoom(name) {
  if (!chat.get(name)) {
    chat.add(name);
    pane.ensure(name);
    saveRooms();
    sendJoin(name);
  }
  dom.invitations.querySelector(`li[data-room="${CSS.escape(name)}"]`)?.remove();
  switchTo(name);
}

function createRoom(name) {
  if (chat.get(name)) {
    toast(`You are in #${name} already.`, "info");
    return switchTo(name);
  }
  chat.add(name);
  pane.ensure(name);
  sendCreate(name);
  switchTo(name);
}

function leaveRoom(name) {
  const room = chat.get(name);
  if (!room) return;
  sendLeave(name);
  dropOutbox(room.key);
  removeRoom(name);
  toast(`You left #${name}`, "info");
}

function removeRoom(name) {
  const wasCurrent = chat.current === name;
  const room = chat.get(name);
  if (room) clearTyping(room);
  chat.remove(name);
  pane.remove(name);
  saveRooms();
  saveSeqs();
  if (wasCurrent) switchTo(chat.current, { focus: false });
  else renderRooms();
}

/** The DM conversation with a user, created (listed, stored, synced) when new. */
function openDmState(user) {
  let dm = chat.dm(user);
  if (dm) return dm;
  dm = chat.addDm(user);
  pane.ensure(dm.key);
  session.saveDms(chat.dmUsers());
  renderRooms();
  if (conn?.isOpen) requestLatest(dm);
  return dm;
}

function openDm(user) {
  if (user === chat.me) return toast("That is you.", "info");
  switchTo(openDmState(user).key);
}

/** Brings a room or DM conversation (by pane key) into view. */
function switchTo(key, { focus = true } = {}) {
  chat.current = key;
  const conv = key ? chat.byKey(key) : null;
  if (conv) conv.unread = 0;
  pane.show(key);
  session.saveCurrentRoom(key);
  dom.historyState.textContent = "";
  renderRooms();
  renderMembers();
  renderRoomHeader();
  renderTyping();
  closePanels();
  if (conv) fillView(conv);
  if (focus && key) dom.messageInput.focus();
}

function saveRooms() {
  session.saveRooms(chat.names());
  session.saveOwnedRooms(chat.names().filter((n) => chat.get(n).owned));
}

// =====================================================================
// Rendering helpers
// =====================================================================

function renderRooms() {
  view.syncRoomList(dom.roomList, chat);
  view.syncDmList(dom.dmList, chat);
  const unread = chat.totalUnread();
  const conv = chat.currentConversation;
  const t = conv ? `${title(conv)} · Chat` : "Chat";
  document.title = unread ? `(${unread}) ${t}` : t;
}

function renderMembers() {
  const conv = chat.currentConversation;
  const members = !conv ? new Set() : conv.kind === "room" ? conv.members : new Set([chat.me, conv.user]);
  view.renderMembers(dom.members, members, chat.me);
  dom.memberCount.textContent = conv ? String(members.size) : "";
}

function renderRoomHeader() {
  const conv = chat.currentConversation;
  const name = conv ? title(conv) : null;
  dom.roomTitle.textContent = name ?? "No room";
  dom.emptyState.hidden = Boolean(conv);
  dom.messages.hidden = !conv;
  dom.messageInput.disabled = !conv;
  dom.sendBtn.disabled = !conv;
  dom.messageLabel.textContent = name ? `Message ${name}` : "Message";
  dom.messageInput.placeholder = name ? `Message ${name}` : "Join a room to chat";
  dom.inviteForm.hidden = !(conv && conv.kind === "room" && conv.owned && conv.status === "joined");
}

function renderTyping() {
  const conv = chat?.currentConversation;
  const users = conv && conv.kind === "room" ? [...conv.typing.keys()].sort((a, b) => a.localeCompare(b)) : [];
  dom.typing.textContent = view.typingText(users);
}

// =====================================================================
// Composer
// =====================================================================

/** Strip leading blank lines and trailing whitespace; keep inner formatting. */
const normalizeText = (text) => text.replace(/^(?:[ \t]*\r?\n)+/, "").trimEnd();

function onComposerSubmit(event) {
  event.preventDefault();
  sendFromComposer();
}

function sendFromComposer() {
  const conv = chat?.currentConversation;
  if (!conv) return composerError("Join a room first.");
  const text = normalizeText(dom.messageInput.value);
  if (!text.trim()) return; // nothing to send
  if (text.length > maxText()) {
    return composerError(`Message too long: ${text.length} characters, the maximum is ${maxText()}.`);
  }
  // Offline or still joining: the message waits, pending, and goes once the conversation is back.
  const el = view.createMessage({ from: chat.me, text, date: new Date(), own: true, pending: true });
  pane.append(conv.key, el, new Date());
  transmit(el, conv.kind === "room" ? { key: conv.key, room: conv.name } : { key: conv.key, to: conv.user }, text);
  if (conv.kind === "room") typingSentAt.delete(conv.name); // the next keystroke may say "typing" again
  dom.messageInput.value = "";
  onComposerInput();
}

function composerError(message) {
  dom.composerError.textContent = message;
  dom.messageInput.setAttribute("aria-invalid", "true");
}

function onComposerKeydown(event) {
  // Enter sends, Shift+Enter inserts a newline; never interrupt IME composition.
  if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
  event.preventDefault();
  sendFromComposer();
}

function onComposerInput() {
  const len = dom.messageInput.value.length;
  const max = maxText();
  // Grow the textarea with its content (up to 8 rows) without inline styles.
  dom.messageInput.rows = Math.min(8, Math.max(1, dom.messageInput.value.split("\n").length));
  dom.charCount.textContent = len > max * 0.8 ? `${len} / ${max}` : "";
  dom.charCount.classList.toggle("over", len > max);
  if (len <= max) {
    dom.composerError.textContent = "";
    dom.messageInput.removeAttribute("aria-invalid");
  }
  if (len > 0) sendTyping();
}

/** Tells the room's other members we are typing, at most once per TYPING_SEND_INTERVAL_MS. */
function sendTyping() {
  const room = chat?.currentConversation;
  if (!room || room.kind !== "room" || room.status !== "joined") return;
  const now = Date.now();
  if (now - (typingSentAt.get(room.name) ?? 0) < TYPING_SEND_INTERVAL_MS) return;
  if (conn?.send({ type: "typing", room: room.name })) typingSentAt.set(room.name, now);
}

// =====================================================================
// Forms, lists and message list interactions
// =====================================================================

function onRoomSubmit(event) {
  event.preventDefault();
  const name = dom.roomInput.value.trim();
  if (!ROOM_RE.test(name)) {
    dom.roomError.textContent = "Room names are 1 to 64 characters: letters, digits, “_” or “-” (no spaces).";
    dom.roomInput.setAttribute("aria-invalid", "true");
    dom.roomInput.focus();
    return;
  }
  dom.roomError.textContent = "";
  dom.roomInput.removeAttribute("aria-invalid");
  dom.roomInput.value = "";
  if (dom.roomPrivate.checked) {
    dom.roomPrivate.checked = false;
    createRoom(name);
  } else {
    joinRoom(name);
  }
}

function onDmSubmit(event) {
  event.preventDefault();
  const user = dom.dmInput.value.trim();
  if (!isUserName(user) || user === chat?.me) {
    dom.dmError.textContent = user === chat?.me ? "That is you." : "User names are 1 to 64 printable characters.";
    dom.dmInput.setAttribute("aria-invalid", "true");
    dom.dmInput.focus();
    return;
  }
  dom.dmError.textContent = "";
  dom.dmInput.removeAttribute("aria-invalid");
  dom.dmInput.value = "";
  openDm(user);
}

function onInviteSubmit(event) {
  event.preventDefault();
  const room = chat?.currentConversation;
  const user = dom.inviteInput.value.trim();
  if (!room || room.kind !== "room") return;
  if (!isUserName(user)) {
    dom.inviteInput.setAttribute("aria-invalid", "true");
    return toast("User names are 1 to 64 printable characters.");
  }
  dom.inviteInput.removeAttribute("aria-invalid");
  const id = newId("i");
  pending.set(id, { kind: "invite", room: room.name, user });
  if (!conn?.send({ type: "invite", room: room.name, user, id })) {
    pending.delete(id);
    return toast("You are offline; invite again once connected.");
  }
  dom.inviteInput.value = "";
}

function onRoomListClick(event) {
  const item = event.target.closest("[data-room]");
  if (!item || !chat) return;
  const name = item.dataset.room;
  if (event.target.closest(".leave-btn")) leaveRoom(name);
  else switchTo(name);
}

function onDmListClick(event) {
  const item = event.target.closest("li.dm[data-user]");
  if (item && chat) switchTo(dmKey(item.dataset.user));
}

function onInvitationsClick(event) {
  const item = event.target.closest("li.invitation[data-room]");
  if (!item || !chat) return;
  if (event.target.closest(".invitation-join")) joinRoom(item.dataset.room);
  else if (event.target.closest(".invitation-dismiss")) item.remove();
}

function onMembersClick(event) {
  const item = event.target.closest("li.member[data-user]");
  if (item && chat && item.dataset.user !== chat.me) openDm(item.dataset.user);
}

/** Up/Down/Home/End move between room buttons. */
function onRoomListKeydown(event) {
  const buttons = [...dom.roomList.querySelectorAll(".room-open")];
  const index = buttons.indexOf(document.activeElement);
  if (index < 0) return;
  const targets = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: buttons.length - 1 };
  if (!(event.key in targets)) return;
  event.preventDefault();
  const next = (targets[event.key] + buttons.length) % buttons.length;
  buttons[next].focus();
}

function onMessagesClick(event) {
  const retry = event.target.closest(".retry-btn");
  if (!retry) return;
  const el = retry.closest(".msg");
  const info = outgoing.get(el);
  if (!info || !chat?.byKey(info.key)) return;
  const { text, ...target } = info;
  transmit(el, target, text);
  if (!isReady(info.key)) toast("Offline: the message is sent once connected.", "info");
}

function onMessagesScroll() {
  if (chat && dom.messages.scrollTop < LOAD_OLDER_THRESHOLD_PX) loadOlder(chat.currentConversation);
}

// =====================================================================
// Mobile panels (rooms / members drawers)
// =====================================================================

function togglePanel(panel, toggle) {
  const open = !panel.classList.contains("open");
  closePanels();
  if (!open) return;
  panel.classList.add("open");
  toggle.setAttribute("aria-expanded", "true");
  dom.backdrop.hidden = false;
  panel.querySelector("button, input, [tabindex]")?.focus();
}

function closePanels() {
  const wasOpen = [dom.roomsPanel, dom.membersPanel].find((p) => p.classList.contains("open"));
  for (const [panel, toggle] of [
    [dom.roomsPanel, dom.roomsToggle],
    [dom.membersPanel, dom.membersToggle],
  ]) {
    panel.classList.remove("open");
    toggle.setAttribute("aria-expanded", "false");
  }
  dom.backdrop.hidden = true;
  return wasOpen;
}

function onGlobalKeydown(event) {
  if (event.key !== "Escape") return;
  const panel = closePanels();
  if (panel) (panel === dom.roomsPanel ? dom.roomsToggle : dom.membersToggle).focus();
}

// =====================================================================
// Wiring
// =====================================================================

function wire() {
  dom.authForm.addEventListener("submit", onAuthSubmit);
  dom.providerBtn.addEventListener("click", onProviderSignIn);
  dom.logoutBtn.addEventListener("click", () =>
    activeSession.logout().then((next) => {
      endSession("");
      if (next) location.assign(next); // the provider ends its session and comes back here
    }),
  );
  dom.reconnectBtn.addEventListener("click", () => conn?.reconnectNow());
  dom.roomForm.addEventListener("submit", onRoomSubmit);
  dom.roomInput.addEventListener("input", () => {
    dom.roomError.textContent = "";
    dom.roomInput.removeAttribute("aria-invalid");
  });
  dom.dmForm.addEventListener("submit", onDmSubmit);
  dom.inviteForm.addEventListener("submit", onInviteSubmit);
  dom.roomList.addEventListener("click", onRoomListClick);
  dom.roomList.addEventListener("keydown", onRoomListKeydown);
  dom.dmList.addEventListener("click", onDmListClick);
  dom.invitations.addEventListener("click", onInvitationsClick);
  dom.members.addEventListener("click", onMembersClick);
  dom.messages.addEventListener("click", onMessagesClick);
  dom.messages.addEventListener("scroll", onMessagesScroll, { passive: true });
  dom.composer.addEventListener("submit", onComposerSubmit);
  dom.messageInput.addEventListener("keydown", onComposerKeydown);
  dom.messageInput.addEventListener("input", onComposerInput);
  dom.roomsToggle.addEventListener("click", () => togglePanel(dom.roomsPanel, dom.roomsToggle));
  dom.membersToggle.addEventListener("click", () => togglePanel(dom.membersPanel, dom.membersToggle));
  dom.backdrop.addEventListener("click", closePanels);
  document.addEventListener("keydown", onGlobalKeydown);
  // Back online: don't wait for the rest of the backoff.
  window.addEventListener("online", () => {
    if (conn?.isWaiting) conn.reconnectNow();
  });
}

/**
 * On load: the provider's answer to a sign-in, else this tab's sign-in (either kind) resumed,
 * else a form-less sign-in at the provider when this browser used it before, else the form.
 */
async function boot() {
  const auth = await api.fetchAuth();
  if (auth?.provider) {
    providerSession = new ProviderSession(auth.provider, {
      send: (frame) => conn?.send(frame),
      onEnded: () => endSession(`Your ${auth.provider.name} session ended, please sign in again.`),
    });
  }
  renderAuthChoices(auth);
  const answer = providerAnswer();
  if (answer) {
    if (!providerSession) {
      // the code leaves the address bar whatever happens; without api/auth it cannot be traded
      history.replaceState(null, "", location.pathname + location.search);
      return showAuth("The sign-in could not be completed; please try again.");
    }
    const done = await providerSession.complete(answer);
    if (!done.ok) {
      session.clearProviderTokens();
      return showAuth(done.message);
    }
    activeSession = providerSession;
    return enterChat();
  }
  // The kind of this tab's sign-in is told by the provider's tokens in its storage: never resumed
  // as the other kind (a provider's token refreshed as a local session would end it, and the reverse).
  if (session.loadProviderTokens()) {
    if (!auth) return showAuth("Cannot reach the server. Check your connection and reload.");
    if (providerSession && (await providerSession.resume())) {
      activeSession = providerSession;
      return enterChat();
    }
    session.clearSession(); // over, or the server offers the provider no more
  } else if (localAccounts && (await serverSession.resume())) {
    return enterChat();
  }
  if (providerSession?.wasSignedIn()) {
    try {
      return await providerSession.begin({ silent: true });
    } catch {
      /* not a secure context: the button says why when pressed */
    }
  }
  showAuth();
}

wire();
boot();
