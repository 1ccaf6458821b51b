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
  USERNAME_RE,
  closeAction,
  closeExplanation,
  newId,
} from "./protocol.js";
import * as session from "./session.js";
import { ChatState } from "./state.js";
import * as view from "./view.js";

const $ = (id) => document.getElementById(id);

const dom = {
  authView: $("auth-view"),
  authForm: $("auth-form"),
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
  roomError: $("room-error"),
  roomList: $("room-list"),
  roomTitle: $("room-title"),
  messages: $("messages"),
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

let protocolInfo = null;
const protocolReady = api.fetchProtocol().then((info) => {
  protocolInfo = info;
  return info;
});
const maxText = () => (Number.isInteger(protocolInfo?.maxText) ? protocolInfo.maxText : DEFAULT_MAX_TEXT);

let chat = null; // ChatState of the logged-in session
let conn = null; // Connection of the logged-in session
/** In-flight requests by id: {kind: "join"|"leave"|"send", room, el?} */
const pending = new Map();
/** Own message element -> {room, text}, used by "Retry". */
const outgoing = new WeakMap();
const pane = new view.MessagePane(dom.messages);

const toast = (message, kind = "error") => view.showToast(dom.toast, message, kind);
const announce = (text) => view.announce(dom.live, text);

// =====================================================================
// Authentication view
// =====================================================================

function showAuth(message = "") {
  dom.chatView.hidden = true;
  dom.authView.hidden = false;
  dom.authError.textContent = message;
  document.title = "Chat";
  dom.username.focus();
}

function validateCredentials(mode, username, password) {
  if (!USERNAME_RE.test(username)) {
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
  pane.reset();
  const rooms = (session.loadRooms() ?? [DEFAULT_ROOM]).filter((r) => ROOM_RE.test(r));
  for (const name of rooms) {
    chat.add(name);
    pane.ensure(name);
  }
  const saved = session.loadCurrentRoom();
  switchRoom(saved && chat.get(saved) ? saved : rooms[0] ?? null, { focus: false });

  dom.me.textContent = s.user;
  dom.authView.hidden = true;
  dom.chatView.hidden = false;
  dom.messageInput.focus();
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
  if (conn) conn.stop(1000, "logout");
  conn = null;
  chat = null;
  pending.clear();
  pane.reset();
  dom.roomList.replaceChildren();
  dom.members.replaceChildren();
  dom.live.replaceChildren();
  closePanels();
  session.clearSession();
  showAuth(message);
}

function handleStop(action, code, reason) {
  if (action === CloseAction.LOGIN) {
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

/** Socket lost: anything waiting for a reply will never get one. */
function handleDisconnect() {
  for (const [id, p] of pending) {
    if (p.kind === "send" && p.el) view.markFailed(p.el, "connection lost");
    pending.delete(id);
  }
  if (!chat) return;
  for (const room of chat.rooms.values()) room.status = "joining";
  renderRooms();
}

// =====================================================================
// Server frames
// =====================================================================

const frameHandlers = {
  welcome: onWelcome,
  joined: onJoined,
  left: onLeft,
  ack: onAck,
  message: onMessage,
  presence: onPresence,
  error: onError,
};

function handleFrame(frame) {
  if (!chat) return;
  const handler = frameHandlers[frame.type];
  if (handler) handler(frame);
  else console.debug("Unhandled frame", frame);
}

function onWelcome(f) {
  if (typeof f.user === "string" && f.user) {
    chat.me = f.user;
    dom.me.textContent = f.user;
    session.updateUser(f.user);
  }
  if (f.protocol !== PROTOCOL_VERSION) toast(`Server speaks protocol ${f.protocol}; this page expects ${PROTOCOL_VERSION}.`, "info");
  // (Re)join every room we are supposed to be in.
  for (const name of chat.names()) sendJoin(name);
}

function onJoined(f) {
  takePending(f.id);
  const room = chat.get(f.room);
  if (!room) return sendLeave(f.room); // we left while the join was in flight
  const firstTime = !room.everJoined;
  room.status = "joined";
  room.everJoined = true;
  room.members = new Set(Array.isArray(f.members) ? f.members.filter((m) => typeof m === "string") : []);
  if (firstTime) addSystemLine(room.name, `You joined #${room.name}`, false);
  renderRooms();
  if (room.name === chat.current) renderMembers();
}

function onLeft(f) {
  takePending(f.id); // the room was already removed locally when we asked to leave
}

function onAck(f) {
  const p = takePending(f.id);
  if (!p || p.kind !== "send") return;
  const room = chat.get(p.room);
  if (room && typeof f.seq === "number") room.markSeq(f.seq);
  view.markSent(p.el, f.seq);
}

function onMessage(f) {
  const room = chat.get(f.room);
  if (!room || typeof f.text !== "string") return;
  if (!room.markSeq(f.seq)) return; // duplicate
  const from = typeof f.from === "string" ? f.from : "?";
  const date = view.parseTs(f.ts);
  const el = view.createMessage({ from, text: f.text, date, seq: f.seq, own: from === chat.me });
  pane.append(room.name, el, date);
  if (room.name !== chat.current) {
    room.unread += 1;
    renderRooms();
  } else if (from !== chat.me) {
    announce(`${from}: ${truncate(f.text, 200)}`);
  }
}

function onPresence(f) {
  const room = chat.get(f.room);
  if (!room || typeof f.user !== "string") return;
  if (f.state === "joined") room.members.add(f.user);
  else if (f.state === "left" && f.user !== chat.me) room.members.delete(f.user); // our other tab left, we did not
  else return;
  addSystemLine(room.name, `${f.user} ${f.state === "joined" ? "joined" : "left"}`, true);
  if (room.name === chat.current) renderMembers();
}

function onError(f) {
  const message = typeof f.message === "string" && f.message ? f.message : f.code || "Unknown error";
  const p = takePending(f.id);
  if (p?.kind === "send") {
    view.markFailed(p.el, message);
    toast(`Message not sent: ${message}`);
  } else if (p?.kind === "join") {
    const room = chat.get(p.room);
    if (room && !room.everJoined) removeRoom(p.room);
    toast(`Could not join #${p.room}: ${message}`);
  } else {
    toast(message);
  }
}

function takePending(id) {
  if (typeof id !== "string" || !pending.has(id)) return null;
  const p = pending.get(id);
  pending.delete(id);
  return p;
}

function addSystemLine(roomName, text, announceIt) {
  pane.append(roomName, view.createSystemLine(text), new Date());
  if (announceIt && roomName === chat.current) announce(`${text} #${roomName}`);
}

const truncate = (s, n) => (s.length > n ? `${s.slice(0, n)}…` : s);

// =====================================================================
// Client requests
// =====================================================================

function sendJoin(name) {
  const id = newId("j");
  pending.set(id, { kind: "join", room: name });
  if (!conn?.send({ type: "join", room: name, id })) pending.delete(id);
}

function sendLeave(name) {
  const id = newId("l");
  pending.set(id, { kind: "leave", room: name });
  if (!conn?.send({ type: "leave", room: name, id })) pending.delete(id);
}

/** Sends (or re-sends) an own message element; it stays .pending until acked. */
function transmit(el, roomName, text) {
  const id = newId("c");
  view.markPending(el, id);
  pending.set(id, { kind: "send", room: roomName, el });
  outgoing.set(el, { room: roomName, text });
  if (!conn?.send({ type: "send", room: roomName, text, id })) {
    pending.delete(id);
    view.markFailed(el, "offline");
  }
}

// =====================================================================
// Rooms
// =====================================================================

function joinRoom(name) {
  if (!chat.get(name)) {
    chat.add(name);
    pane.ensure(name);
    saveRooms();
    sendJoin(name);
  }
  switchRoom(name);
}

function leaveRoom(name) {
  if (!chat.get(name)) return;
  sendLeave(name);
  removeRoom(name);
  toast(`You left #${name}`, "info");
}

function removeRoom(name) {
  const wasCurrent = chat.current === name;
  chat.remove(name);
  pane.remove(name);
  saveRooms();
  if (wasCurrent) switchRoom(chat.current, { focus: false });
  else renderRooms();
}

function switchRoom(name, { focus = true } = {}) {
  chat.current = name;
  const room = name ? chat.get(name) : null;
  if (room) room.unread = 0;
  pane.show(name);
  session.saveCurrentRoom(name);
  renderRooms();
  renderMembers();
  renderRoomHeader();
  closePanels();
  if (focus && name) dom.messageInput.focus();
}

function saveRooms() {
  session.saveRooms(chat.names());
}

// =====================================================================
// Rendering helpers
// =====================================================================

function renderRooms() {
  view.syncRoomList(dom.roomList, chat);
  const unread = chat.totalUnread();
  const title = chat.current ? `#${chat.current} · Chat` : "Chat";
  document.title = unread ? `(${unread}) ${title}` : title;
}

function renderMembers() {
  const room = chat.current ? chat.get(chat.current) : null;
  const members = room ? room.members : new Set();
  view.renderMembers(dom.members, members, chat.me);
  dom.memberCount.textContent = room ? String(members.size) : "";
}

function renderRoomHeader() {
  const name = chat.current;
  dom.roomTitle.textContent = name ? `#${name}` : "No room";
  dom.emptyState.hidden = Boolean(name);
  dom.messages.hidden = !name;
  dom.messageInput.disabled = !name;
  dom.sendBtn.disabled = !name;
  dom.messageLabel.textContent = name ? `Message #${name}` : "Message";
  dom.messageInput.placeholder = name ? `Message #${name}` : "Join a room to chat";
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
  const roomName = chat?.current;
  if (!roomName) return composerError("Join a room first.");
  const text = normalizeText(dom.messageInput.value);
  if (!text.trim()) return; // nothing to send
  if (text.length > maxText()) {
    return composerError(`Message too long: ${text.length} characters, the maximum is ${maxText()}.`);
  }
  if (!conn?.isOpen) return composerError("You are offline. Your message is kept here; send it again once connected.");
  const el = view.createMessage({ from: chat.me, text, date: new Date(), own: true, pending: true });
  pane.append(roomName, el, new Date());
  transmit(el, roomName, text);
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
}

// =====================================================================
// Room form, room list, message list interactions
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
  joinRoom(name);
}

function onRoomListClick(event) {
  const item = event.target.closest("[data-room]");
  if (!item || !chat) return;
  const name = item.dataset.room;
  if (event.target.closest(".leave-btn")) leaveRoom(name);
  else switchRoom(name);
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
  if (!info || !chat?.get(info.room)) return;
  if (!conn?.isOpen) return toast("Still offline; try again once connected.");
  transmit(el, info.room, info.text);
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
  dom.logoutBtn.addEventListener("click", () => endSession(""));
  dom.reconnectBtn.addEventListener("click", () => conn?.reconnectNow());
  dom.roomForm.addEventListener("submit", onRoomSubmit);
  dom.roomInput.addEventListener("input", () => {
    dom.roomError.textContent = "";
    dom.roomInput.removeAttribute("aria-invalid");
  });
  dom.roomList.addEventListener("click", onRoomListClick);
  dom.roomList.addEventListener("keydown", onRoomListKeydown);
  dom.messages.addEventListener("click", onMessagesClick);
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

wire();
if (session.loadSession()) enterChat();
else showAuth();
