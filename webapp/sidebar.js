// The conversations around the message list: the room and DM lists (join, create, leave, open a
// DM, invitations), which one is in view (switchTo), the room header, the member list and the
// mobile drawers. Requests go through ctx.sync.

import { ROOM_RE, isUserName } from "./protocol.js";
import * as session from "./session.js";
import { dmKey } from "./state.js";
import * as view from "./view.js";
import { clearTyping, dropOutbox, fillView, renderTyping, title } from "./messages.js";
import { cancelMode } from "./message-actions.js";

// =====================================================================
// Rooms and direct conversations
// =====================================================================

export function joinRoom(ctx, name) {
  const { chat, dom } = ctx;
  if (!chat.get(name)) {
    chat.add(name);
    ctx.pane.ensure(name);
    saveRooms(ctx);
    ctx.sync.join(name);
  }
  dom.invitations.querySelector(`li[data-room="${CSS.escape(name)}"]`)?.remove();
  switchTo(ctx, name);
}

export function createRoom(ctx, name) {
  const { chat } = ctx;
  if (chat.get(name)) {
    ctx.toast(`You are in #${name} already.`, "info");
    return switchTo(ctx, name);
  }
  chat.add(name);
  ctx.pane.ensure(name);
  ctx.sync.create(name);
  switchTo(ctx, name);
}

export function leaveRoom(ctx, name) {
  const room = ctx.chat.get(name);
  if (!room) return;
  // a leave that cannot go now is refused, not kept: the next welcome would list the room again
  if (!ctx.sync.leave(name)) return ctx.toast(`You are offline; leave #${name} once connected.`, "info");
  dropOutbox(ctx, room.key);
  removeRoom(ctx, name);
  ctx.toast(`You left #${name}`, "info");
}

export function removeRoom(ctx, name) {
  const { chat } = ctx;
  const wasCurrent = chat.current === name;
  const room = chat.get(name);
  if (room) clearTyping(room);
  chat.remove(name);
  ctx.pane.remove(name);
  saveRooms(ctx);
  ctx.sync.saveSeqs();
  if (wasCurrent) switchTo(ctx, chat.current, { focus: false });
  else renderRooms(ctx);
}

/** The DM conversation with a user, created (listed, stored, synced) when new. */
export function openDmState(ctx, user) {
  const { chat } = ctx;
  let dm = chat.dm(user);
  if (dm) return dm;
  dm = chat.addDm(user);
  ctx.pane.ensure(dm.key);
  session.saveDms(chat.dmUsers());
  renderRooms(ctx);
  if (ctx.conn?.isOpen) ctx.sync.requestLatest(dm);
  return dm;
}

export function openDm(ctx, user) {
  if (user === ctx.chat.me) return ctx.toast("That is you.", "info");
  switchTo(ctx, openDmState(ctx, user).key);
}

/** Brings a room or DM conversation (by pane key) into view. */
export function switchTo(ctx, key, { focus = true } = {}) {
  const { chat, dom } = ctx;
  // a reply or an edit belongs to the conversation it started in (which may be gone: left, removed)
  if ((ctx.editing ?? ctx.replyTo) && (ctx.editing ?? ctx.replyTo).key !== key) cancelMode(ctx);
  chat.current = key;
  const conv = key ? chat.byKey(key) : null;
  if (conv) {
    conv.unread = 0; // the server's counts follow the read this sends (markRead, below)
    conv.mentions = 0;
  }
  ctx.pane.show(key);
  session.saveCurrentRoom(key);
  dom.historyState.textContent = "";
  renderRooms(ctx);
  renderMembers(ctx);
  renderRoomHeader(ctx);
  renderTyping(ctx);
  closePanels(ctx);
  if (conv) fillView(ctx, conv);
  if (focus && key) dom.messageInput.focus();
  if (conv) ctx.markRead(conv);
}

export function saveRooms(ctx) {
  const { chat } = ctx;
  session.saveRooms(chat.names());
  session.saveOwnedRooms(chat.names().filter((n) => chat.get(n).owned));
}

// =====================================================================
// Rendering
// =====================================================================

export function renderRooms(ctx) {
  const { chat, dom } = ctx;
  view.syncRoomList(dom.roomList, chat);
  view.syncDmList(dom.dmList, chat);
  const unread = chat.totalUnread();
  const conv = chat.currentConversation;
  const t = conv ? `${title(conv)} · Chat` : "Chat";
  document.title = unread ? `(${unread}) ${t}` : t;
}

export function renderMembers(ctx) {
  const { chat, dom } = ctx;
  const conv = chat.currentConversation;
  const members = !conv ? new Set() : conv.kind === "room" ? conv.members : new Set([chat.me, conv.user]);
  view.renderMembers(dom.members, members, chat.me);
  dom.memberCount.textContent = conv ? String(members.size) : "";
}

export function renderRoomHeader(ctx) {
  const { chat, dom } = ctx;
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

// =====================================================================
// Forms and lists
// =====================================================================

function onRoomSubmit(ctx, event) {
  const { dom } = ctx;
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
    createRoom(ctx, name);
  } else {
    joinRoom(ctx, name);
  }
}

function onDmSubmit(ctx, event) {
  const { chat, dom } = ctx;
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
  openDm(ctx, user);
}

function onInviteSubmit(ctx, event) {
  const { dom } = ctx;
  event.preventDefault();
  const room = ctx.chat?.currentConversation;
  const user = dom.inviteInput.value.trim();
  if (!room || room.kind !== "room") return;
  if (!isUserName(user)) {
    dom.inviteInput.setAttribute("aria-invalid", "true");
    return ctx.toast("User names are 1 to 64 printable characters.");
  }
  dom.inviteInput.removeAttribute("aria-invalid");
  if (!ctx.sync.invite(room.name, user)) return ctx.toast("You are offline; invite again once connected.");
  dom.inviteInput.value = "";
}

function onRoomListClick(ctx, event) {
  const item = event.target.closest("[data-room]");
  if (!item || !ctx.chat) return;
  const name = item.dataset.room;
  if (event.target.closest(".leave-btn")) leaveRoom(ctx, name);
  else switchTo(ctx, name);
}

function onDmListClick(ctx, event) {
  const item = event.target.closest("li.dm[data-user]");
  if (item && ctx.chat) switchTo(ctx, dmKey(item.dataset.user));
}

function onInvitationsClick(ctx, event) {
  const item = event.target.closest("li.invitation[data-room]");
  if (!item || !ctx.chat) return;
  if (event.target.closest(".invitation-join")) joinRoom(ctx, item.dataset.room);
  else if (event.target.closest(".invitation-dismiss")) item.remove();
}

function onMembersClick(ctx, event) {
  const item = event.target.closest("li.member[data-user]");
  if (item && ctx.chat && item.dataset.user !== ctx.chat.me) openDm(ctx, item.dataset.user);
}

/** Up/Down/Home/End move between room buttons. */
function onRoomListKeydown(ctx, event) {
  const buttons = [...ctx.dom.roomList.querySelectorAll(".room-open")];
  const index = buttons.indexOf(document.activeElement);
  if (index < 0) return;
  const targets = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: buttons.length - 1 };
  if (!(event.key in targets)) return;
  event.preventDefault();
  const next = (targets[event.key] + buttons.length) % buttons.length;
  buttons[next].focus();
}

// =====================================================================
// Mobile panels (rooms / members drawers)
// =====================================================================

function togglePanel(ctx, panel, toggle) {
  const open = !panel.classList.contains("open");
  closePanels(ctx);
  if (!open) return;
  panel.classList.add("open");
  toggle.setAttribute("aria-expanded", "true");
  ctx.dom.backdrop.hidden = false;
  panel.querySelector("button, input, [tabindex]")?.focus();
}

export function closePanels(ctx) {
  const { dom } = ctx;
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

function onGlobalKeydown(ctx, event) {
  const { dom } = ctx;
  if (event.key !== "Escape") return;
  const panel = closePanels(ctx);
  if (panel) (panel === dom.roomsPanel ? dom.roomsToggle : dom.membersToggle).focus();
}

export function wire(ctx) {
  const { dom } = ctx;
  dom.roomForm.addEventListener("submit", (event) => onRoomSubmit(ctx, event));
  dom.roomInput.addEventListener("input", () => {
    dom.roomError.textContent = "";
    dom.roomInput.removeAttribute("aria-invalid");
  });
  dom.dmForm.addEventListener("submit", (event) => onDmSubmit(ctx, event));
  dom.inviteForm.addEventListener("submit", (event) => onInviteSubmit(ctx, event));
  dom.roomList.addEventListener("click", (event) => onRoomListClick(ctx, event));
  dom.roomList.addEventListener("keydown", (event) => onRoomListKeydown(ctx, event));
  dom.dmList.addEventListener("click", (event) => onDmListClick(ctx, event));
  dom.invitations.addEventListener("click", (event) => onInvitationsClick(ctx, event));
  dom.members.addEventListener("click", (event) => onMembersClick(ctx, event));
  dom.roomsToggle.addEventListener("click", () => togglePanel(ctx, dom.roomsPanel, dom.roomsToggle));
  dom.membersToggle.addEventListener("click", () => togglePanel(ctx, dom.membersPanel, dom.membersToggle));
  dom.backdrop.addEventListener("click", () => closePanels(ctx));
  document.addEventListener("keydown", (event) => onGlobalKeydown(ctx, event));
}
