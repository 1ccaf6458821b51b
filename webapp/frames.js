// What each server frame does to the page: one handler per frame type, in one table. A type the
// table does not name is logged, never dropped in silence, so a frame added to the protocol shows
// up in the console until the page handles it.

import { PROTOCOL_VERSION, ROOM_RE } from "./protocol.js";
import * as session from "./session.js";
import { UNAVAILABLE_RETRY_MS } from "./sync.js";
import * as view from "./view.js";
import {
  addSystemLine,
  dropOutbox,
  fillView,
  onChange,
  onHistory,
  onMessage,
  onTyping,
  repairGap,
  showEvent,
  startOver,
  stopTyping,
} from "./messages.js";
import { removeRoom, renderMembers, renderRoomHeader, renderRooms, saveRooms } from "./sidebar.js";
import * as membership from "./membership.js";
import { acked as changeAcked } from "./message-actions.js";

/** Server frame type -> handler(ctx, frame). */
const frameHandlers = Object.freeze({
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
  membership: membership.onMembership,
  read: membership.onRead,
  rooms: membership.onRooms,
  // The reply to a token-keeper's `refresh`: nothing to show, the tab holds the new token already.
  refreshed: () => {},
});

/** One parsed server frame, while a session is open. */
export function handleFrame(ctx, frame) {
  if (!ctx.chat) return;
  // own keys only: a type such as "constructor" is unknown too, not a method of Object
  const handler = Object.hasOwn(frameHandlers, frame.type) ? frameHandlers[frame.type] : null;
  if (handler) handler(ctx, frame);
  else console.warn("Unhandled frame type", frame.type, frame);
}

function onWelcome(ctx, f) {
  const { chat, dom } = ctx;
  ctx.sync.connected();
  if (typeof f.user === "string" && f.user) {
    chat.me = f.user;
    dom.me.textContent = f.user;
    session.updateUser(f.user);
  }
  if (f.protocol !== PROTOCOL_VERSION) ctx.toast(`Server speaks protocol ${f.protocol}; this page expects ${PROTOCOL_VERSION}.`, "info");
  // The server's list of the user's conversations, with their counts; then (re)join every room
  // in it, from where we left off (see Sync.rejoin).
  membership.adopt(ctx, f.rooms);
  ctx.sync.rejoin(f.epoch, (conv) => startOver(ctx, conv));
}

function onJoined(ctx, f) {
  const { chat, sync } = ctx;
  sync.take(f.id);
  const room = chat.get(f.room);
  if (!room) return sync.leave(f.room); // we left while the join was in flight
  const firstTime = !room.everJoined;
  const replayed = room.replayBuffer ?? [];
  room.replayBuffer = null;
  // What is shown stays. The replay goes in by seq: the whole gap (recovered), or with
  // `recovered:false` the latest messages only, and the gap below them is filled from the history.
  // (the replay is counted by the server, its counts came with the welcome; live messages held
  // back meanwhile came after the welcome, and are news)
  for (const m of replayed) showEvent(ctx, room, m, { live: m.replay !== true });
  sync.joined(room, f.seq, f.recovered);
  room.status = "joined";
  room.everJoined = true;
  room.members = new Set(Array.isArray(f.members) ? f.members.filter((m) => typeof m === "string") : []);
  if (firstTime) addSystemLine(ctx, room.key, `You joined #${room.name}`, false);
  renderRooms(ctx);
  if (room.key === chat.current) {
    renderMembers(ctx);
    renderRoomHeader(ctx);
  }
  sync.flush(room.key);
  repairGap(ctx, room);
  fillView(ctx, room);
  ctx.markRead(room);
}

function onCreated(ctx, f) {
  const { chat, sync } = ctx;
  sync.take(f.id);
  const room = chat.get(f.room);
  if (!room) return sync.leave(f.room);
  room.owned = true;
  room.status = "joined";
  room.everJoined = true;
  room.skipTo(0);
  room.members = new Set([chat.me]);
  saveRooms(ctx);
  addSystemLine(ctx, room.key, `You created the ${f.private ? "private " : ""}room #${room.name}`, false);
  renderRooms(ctx);
  if (room.key === chat.current) {
    renderMembers(ctx);
    renderRoomHeader(ctx);
  }
  sync.flush(room.key);
}

function onLeft(ctx, f) {
  ctx.sync.take(f.id); // the room was already removed locally when we asked to leave
}

function onAck(ctx, f) {
  const entry = ctx.sync.ack(f.id, f.seq);
  if (entry) return view.markSent(entry.el, f.seq);
  const p = ctx.sync.take(f.id);
  if (p?.kind === "change") changeAcked(ctx, p, f);
}

function onPresence(ctx, f) {
  const { chat } = ctx;
  const room = chat.get(f.room);
  if (!room || typeof f.user !== "string") return;
  if (f.state === "joined") room.members.add(f.user);
  else if (f.state === "left" && f.user !== chat.me) room.members.delete(f.user); // our other tab left, we did not
  else return;
  if (f.state === "left") stopTyping(ctx, room, f.user);
  addSystemLine(ctx, room.key, `${f.user} ${f.state === "joined" ? "joined" : "left"}`, true);
  if (room.key === chat.current) renderMembers(ctx);
}

function onInvited(ctx, f) {
  ctx.sync.take(f.id);
  if (typeof f.user !== "string" || typeof f.room !== "string") return;
  addSystemLine(ctx, f.room, `You invited ${f.user}`, true);
}

function onInvitation(ctx, f) {
  const { chat, dom } = ctx;
  if (typeof f.room !== "string" || !ROOM_RE.test(f.room) || chat.get(f.room)) return;
  const from = typeof f.from === "string" ? f.from : "someone";
  dom.invitations.querySelector(`li[data-room="${CSS.escape(f.room)}"]`)?.remove();
  dom.invitations.append(view.createInvitation(f.room, from));
  ctx.announce(`${from} invited you to #${f.room}`);
}

function onRemoved(ctx, f) {
  const room = typeof f.room === "string" ? ctx.chat.get(f.room) : null;
  if (!room) return;
  const by = typeof f.by === "string" && f.by ? ` by ${f.by}` : "";
  const reason = typeof f.reason === "string" && f.reason ? ` (${f.reason})` : "";
  dropOutbox(ctx, room.key);
  removeRoom(ctx, room.name);
  const message = `You were removed from #${room.name}${by}${reason}.`;
  ctx.toast(message);
  ctx.announce(message);
}

function onError(ctx, f) {
  const { chat, sync } = ctx;
  const message = typeof f.message === "string" && f.message ? f.message : f.code || "Unknown error";
  // An own message: `unavailable` and `rate_limited` go again by themselves (see Sync.refuse), else it failed, with Retry.
  const refused = sync.refuse(f.id, f.code);
  if (refused) {
    if (!refused.retry) {
      view.markFailed(refused.entry.el, message);
      ctx.toast(`Message not sent: ${message}`);
    }
    return;
  }
  const p = sync.take(f.id);
  if (p?.kind === "join" || p?.kind === "create") {
    const room = chat.get(p.room);
    if (room) room.replayBuffer = null;
    // A private room without an invitation (or after a kick while we were away) is gone for good.
    if (room && (!room.everJoined || f.code === "forbidden")) {
      dropOutbox(ctx, room.key);
      removeRoom(ctx, p.room);
    }
    const why = f.code === "forbidden" ? "it is private and you have no invitation" : message;
    ctx.toast(`Could not ${p.kind} #${p.room}: ${why}`);
  } else if (p?.kind === "history") {
    const conv = chat.byKey(p.key);
    if (conv) {
      conv.loadingOlder = false;
      if (p.mode === "latest") {
        conv.synced = true; // without its history; its pending messages must not wait for it
        sync.flush(conv.key);
      } else if (p.mode === "gap") {
        conv.repairing = false;
        // the history is out of reach for now (`unavailable`): the gap is asked for again shortly
        if (f.code === "unavailable") setTimeout(() => ctx.chat?.byKey(p.key) === conv && repairGap(ctx, conv), UNAVAILABLE_RETRY_MS);
      }
    }
    ctx.dom.historyState.textContent = "";
    if (f.code !== "unavailable") ctx.toast(`Could not load messages: ${message}`);
  } else if (p?.kind === "invite") {
    ctx.toast(`Could not invite ${p.user}: ${message}`);
  } else if (p?.kind === "change") {
    const what = { edit: "edit the message", delete: "delete the message", react: "react" }[p.change.type];
    ctx.toast(`Could not ${what}: ${message}`);
  } else if (p?.kind === "read") {
    membership.readRefused(ctx, p, f.code);
  } else {
    ctx.toast(message);
  }
}
