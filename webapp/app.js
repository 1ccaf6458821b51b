// Entry point: the session and its connection (sign-in to chat and back, reconnects, stops), and
// the ctx that the page's modules share. What each frame does is frames.js's; the message list,
// the sidebar, the composer and the sign-in form are modules of their own, and sync.js (no DOM)
// keeps the requests, own messages and seqs.
//
// ctx carries what the modules share, instead of module variables:
//   dom                          the page's elements by role
//   pane                         the MessagePane (one list per conversation)
//   sync                         the Sync: requests, outbox, seqs, what a welcome sends
//   chat, conn                   the session's ChatState and Connection (null when signed out)
//   protocolInfo                 GET api/protocol (null until it answered, or when it failed)
//   serverSession, providerSession, activeSession, localAccounts   the sign-ins (see boot)
//   toast(message, kind), announce(text)
//   enterChat(), endSession(message), renderRooms(), openDmState(user), markRead(conv)
//                                calls across modules that would otherwise import each other in a cycle
//   replyTo, editing             the composer's mode (message-actions.js)

import * as api from "./api.js";
import { Connection, ConnState, socketUrl } from "./connection.js";
import { CloseAction, DEFAULT_ROOM, ROOM_RE, closeAction, closeExplanation, isUserName } from "./protocol.js";
import * as session from "./session.js";
import { ProviderSession, providerAnswer } from "./provider-session.js";
import { ServerSession } from "./server-session.js";
import { ChatState } from "./state.js";
import { Sync } from "./sync.js";
import * as view from "./view.js";
import * as authForm from "./auth-form.js";
import * as composer from "./composer.js";
import { handleFrame } from "./frames.js";
import * as messages from "./messages.js";
import * as sidebar from "./sidebar.js";
import * as membership from "./membership.js";
import * as messageActions from "./message-actions.js";

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
  replyBar: $("reply-bar"),
  replyCancel: $("reply-cancel"),
  editBar: $("edit-bar"),
  editCancel: $("edit-cancel"),
  mentionList: $("mention-list"),
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

const ctx = {
  dom,
  pane: new view.MessagePane(dom.messages),
  sync: null,
  chat: null,
  conn: null,
  protocolInfo: null,
  // The login's session on the server: keeps this tab's token fresh (see server-session.js).
  serverSession: null,
  /** The identity provider's sign-in, when the server offers one (GET api/auth); see provider-session.js. */
  providerSession: null,
  /** The sign-in of the open chat: serverSession (a local account) or providerSession. */
  activeSession: null,
  /** Whether the server offers local accounts (GET api/auth; true when it cannot be asked). */
  localAccounts: true,
  toast: (message, kind = "error") => view.showToast(dom.toast, message, kind),
  announce: (text) => view.announce(dom.live, text),
  enterChat: () => enterChat(),
  endSession: (message) => endSession(message),
  renderRooms: () => sidebar.renderRooms(ctx),
  openDmState: (user) => sidebar.openDmState(ctx, user),
  markRead: (conv) => membership.markRead(ctx, conv),
  /** The composer's mode: null, or the message being answered / edited (see message-actions.js). */
  replyTo: null,
  editing: null,
};
ctx.sync = new Sync({
  chat: () => ctx.chat,
  send: (frame) => Boolean(ctx.conn?.send(frame)),
  isOpen: () => Boolean(ctx.conn?.isOpen),
});
ctx.serverSession = new ServerSession({
  send: (frame) => ctx.conn?.send(frame),
  onEnded: () => endSession("Your session ended, please log in again."),
});
ctx.activeSession = ctx.serverSession;

const protocolReady = api.fetchProtocol().then((info) => {
  ctx.protocolInfo = info;
  ctx.sync.setRate(info?.rate);
  return info;
});

// =====================================================================
// Entering / leaving the chat
// =====================================================================

function enterChat() {
  const { dom, pane } = ctx;
  const s = session.loadSession();
  if (!s) return authForm.showAuth(ctx);
  if (session.isExpired(s)) return endSession("Your session expired, please log in again.");

  const chat = new ChatState(s.user);
  ctx.chat = chat;
  ctx.sync.reset();
  pane.reset();
  dom.invitations.replaceChildren();
  const owned = new Set(session.loadOwnedRooms());
  // Until the welcome lists the user's rooms (membership.adopt): those this tab kept, or the
  // default room, which the welcome keeps only for a user in no room yet.
  const kept = session.loadRooms();
  const rooms = (kept ?? [DEFAULT_ROOM]).filter((r) => ROOM_RE.test(r));
  for (const name of rooms) {
    const room = chat.add(name);
    room.owned = owned.has(name);
    if (kept) room.restored = true;
    else room.fallback = true;
    pane.ensure(name);
  }
  for (const user of session.loadDms().filter(isUserName)) pane.ensure(chat.addDm(user).key);
  ctx.sync.restoreSeqs();
  const saved = session.loadCurrentRoom();
  sidebar.switchTo(ctx, saved && chat.byKey(saved) ? saved : chat.firstKey(), { focus: false });

  dom.me.textContent = s.user;
  dom.authView.hidden = true;
  dom.chatView.hidden = false;
  dom.messageInput.focus();
  ctx.activeSession.keep();
  startConnection();
}

function startConnection() {
  const myConn = new Connection({
    getUrl: () => {
      const s = session.loadSession();
      return s && !session.isExpired(s) ? socketUrl(s.token) : null;
    },
    getCloseAction: (code) => closeAction(code, ctx.protocolInfo),
    onFrame: (frame) => handleFrame(ctx, frame),
    onState: renderConnState,
    onClose: handleDisconnect,
    onStop: handleStop,
  });
  ctx.conn = myConn;
  renderConnState(ConnState.CONNECTING, {});
  // Wait for api/protocol (or its failure) so close codes can be classified.
  protocolReady.then(() => {
    if (ctx.conn === myConn) myConn.start();
  });
}

/** Terminal: forget everything and return to the login form. */
function endSession(message = "") {
  const { dom } = ctx;
  messageActions.cancelMode(ctx);
  ctx.activeSession.stop();
  if (ctx.conn) ctx.conn.stop(1000, "logout");
  ctx.conn = null;
  if (ctx.chat) for (const room of ctx.chat.rooms.values()) messages.clearTyping(room);
  ctx.chat = null;
  ctx.sync.reset();
  ctx.pane.reset();
  dom.roomList.replaceChildren();
  dom.dmList.replaceChildren();
  dom.invitations.replaceChildren();
  dom.members.replaceChildren();
  dom.typing.textContent = "";
  dom.historyState.textContent = "";
  dom.live.replaceChildren();
  sidebar.closePanels(ctx);
  session.clearSession();
  authForm.showAuth(ctx, message);
}

function handleStop(action, code, reason) {
  if (action === CloseAction.LOGIN) {
    // expired (a sleeping laptop missed the refresh): a new token from the session, and on
    if (code === 4501 && ctx.chat) {
      ctx.activeSession
        .renew()
        .then((ok) => (ok && ctx.chat ? startConnection() : endSession(closeExplanation(code, reason, ctx.protocolInfo))));
      return;
    }
    endSession(closeExplanation(code, reason, ctx.protocolInfo));
    return;
  }
  // STOP: the server asked us not to reconnect; the token may still be valid.
  ctx.toast(`Disconnected by the server${reason ? `: ${reason}` : ""}. Use “Reconnect now” to try again.`);
}

function renderConnState(state, info) {
  view.renderConnState(dom.connState, state, info);
  dom.reconnectBtn.hidden = !(state === ConnState.RECONNECTING || state === ConnState.OFFLINE) || !ctx.conn;
}

/**
 * Socket lost: requests in flight will never be answered, but own messages stay
 * pending; they are sent again (same id) once their room is rejoined.
 */
function handleDisconnect() {
  ctx.sync.disconnected();
  if (!ctx.chat) return;
  for (const room of ctx.chat.rooms.values()) messages.clearTyping(room);
  dom.historyState.textContent = "";
  sidebar.renderRooms(ctx);
  messages.renderTyping(ctx);
}

// =====================================================================
// Wiring and boot
// =====================================================================

function wire() {
  authForm.wire(ctx);
  dom.logoutBtn.addEventListener("click", () =>
    ctx.activeSession.logout().then((next) => {
      endSession("");
      if (next) location.assign(next); // the provider ends its session and comes back here
    }),
  );
  dom.reconnectBtn.addEventListener("click", () => ctx.conn?.reconnectNow());
  sidebar.wire(ctx);
  messages.wire(ctx);
  messageActions.wire(ctx);
  composer.wire(ctx);
  membership.wire(ctx);
  // Back online: don't wait for the rest of the backoff.
  window.addEventListener("online", () => {
    if (ctx.conn?.isWaiting) ctx.conn.reconnectNow();
  });
}

/**
 * On load: the provider's answer to a sign-in, else this tab's sign-in (either kind) resumed,
 * else a form-less sign-in at the provider when this browser used it before, else the form.
 */
async function boot() {
  const auth = await api.fetchAuth();
  if (auth?.provider) {
    ctx.providerSession = new ProviderSession(auth.provider, {
      send: (frame) => ctx.conn?.send(frame),
      onEnded: () => endSession(`Your ${auth.provider.name} session ended, please sign in again.`),
    });
  }
  const { providerSession } = ctx;
  authForm.renderAuthChoices(ctx, auth);
  const answer = providerAnswer();
  if (answer) {
    if (!providerSession) {
      // the code leaves the address bar whatever happens; without api/auth it cannot be traded
      history.replaceState(null, "", location.pathname + location.search);
      return authForm.showAuth(ctx, "The sign-in could not be completed; please try again.");
    }
    const done = await providerSession.complete(answer);
    if (!done.ok) {
      session.clearProviderTokens();
      return authForm.showAuth(ctx, done.message);
    }
    ctx.activeSession = providerSession;
    return enterChat();
  }
  // The kind of this tab's sign-in is told by the provider's tokens in its storage: never resumed
  // as the other kind (a provider's token refreshed as a local session would end it, and the reverse).
  if (session.loadProviderTokens()) {
    if (!auth) return authForm.showAuth(ctx, "Cannot reach the server. Check your connection and reload.");
    if (providerSession && (await providerSession.resume())) {
      ctx.activeSession = providerSession;
      return enterChat();
    }
    session.clearSession(); // over, or the server offers the provider no more
  } else if (ctx.localAccounts && (await ctx.serverSession.resume())) {
    return enterChat();
  }
  if (providerSession?.wasSignedIn()) {
    try {
      return await providerSession.begin({ silent: true });
    } catch {
      /* not a secure context: the button says why when pressed */
    }
  }
  authForm.showAuth(ctx);
}

wire();
boot();
