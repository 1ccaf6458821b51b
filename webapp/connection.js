// WebSocket lifecycle: connect, split incoming frames, reconnect with
// exponential backoff + full jitter, and stop for good on terminal closes.

import { CloseAction, splitFrame } from "./protocol.js";

const BASE_MS = 500;
const CAP_MS = 30_000;
const STABLE_MS = 5_000; // open this long => the attempt counter is reset

/** Full jitter: uniform in [0, min(cap, base * 2^attempt)). */
export function backoffDelay(attempt, random = Math.random) {
  const ceiling = Math.min(CAP_MS, BASE_MS * 2 ** Math.min(attempt, 16));
  return Math.floor(random() * ceiling);
}

/** ws(s)://<same host>/<page dir>/ws?access_token=... computed from the page URL. */
export function socketUrl(token, href = location.href) {
  const url = new URL("ws", href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.hash = "";
  url.search = "";
  url.searchParams.set("access_token", token);
  return url.toString();
}

export const ConnState = Object.freeze({
  CONNECTING: "connecting",
  ONLINE: "online",
  RECONNECTING: "reconnecting",
  OFFLINE: "offline",
});

/**
 * Options:
 *   getUrl()            -> URL string, or null when the token is known to be expired
 *   getCloseAction(code)-> a CloseAction
 *   onFrame(obj)        one parsed server object
 *   onState(state, {seconds})
 *   onClose(code)       any close of an open or opening socket (before reconnect/stop)
 *   onStop(action, code, reason)  we gave up (LOGIN or STOP)
 */
export class Connection {
  #opts;
  #ws = null;
  #attempt = 0;
  #stopped = true;
  #retryTimer = 0;
  #tickTimer = 0;
  #stableTimer = 0;
  #retryAt = 0;

  constructor(opts) {
    this.#opts = opts;
  }

  get isOpen() {
    return Boolean(this.#ws && this.#ws.readyState === WebSocket.OPEN);
  }

  start() {
    this.#stopped = false;
    this.#attempt = 0;
    this.#open();
  }

  /** Skip the remaining backoff (button, or the browser came back online). */
  reconnectNow() {
    if (this.#ws) return; // already open or opening
    this.#stopped = false;
    this.#open();
  }

  /** True when waiting for a scheduled reconnect. */
  get isWaiting() {
    return !this.#stopped && !this.#ws && this.#retryTimer !== 0;
  }

  /** Send one JSON object. Returns false when not connected. */
  send(obj) {
    if (!this.isOpen) return false;
    this.#ws.send(JSON.stringify(obj));
    return true;
  }

  /** Final close initiated by us (logout): no reconnect. */
  stop(code = 1000, reason = "logout") {
    this.#stopped = true;
    this.#clearTimers();
    const ws = this.#ws;
    this.#ws = null;
    if (ws) {
      try {
        ws.close(code, reason);
      } catch {
        /* already closing */
      }
    }
    this.#emitState(ConnState.OFFLINE);
  }

  #open() {
    this.#clearTimers();
    const url = this.#opts.getUrl();
    if (!url) {
      // Token expired locally: don't even try, it would be refused.
      this.#giveUp(CloseAction.LOGIN, 4501, "token expired");
      return;
    }
    this.#emitState(ConnState.CONNECTING);
    let ws;
    try {
      ws = new WebSocket(url);
    } catch (err) {
      console.error("WebSocket constructor failed", err);
      this.#scheduleReconnect();
      return;
    }
    this.#ws = ws;
    ws.addEventListener("open", () => this.#handleOpen(ws));
    ws.addEventListener("message", (e) => this.#handleMessage(ws, e));
    ws.addEventListener("close", (e) => this.#handleClose(ws, e));
    // "error" is always followed by "close"; nothing to do here.
  }

  #handleOpen(ws) {
    if (ws !== this.#ws) return;
    this.#stableTimer = setTimeout(() => {
      this.#attempt = 0;
      this.#stableTimer = 0;
    }, STABLE_MS);
    this.#emitState(ConnState.ONLINE);
  }

  #handleMessage(ws, event) {
    if (ws !== this.#ws) return;
    for (const obj of splitFrame(event.data)) {
      try {
        this.#opts.onFrame(obj);
      } catch (err) {
        console.error("Error while handling frame", obj, err);
      }
    }
  }

  #handleClose(ws, event) {
    if (ws !== this.#ws) return; // a socket we already abandoned (logout)
    this.#ws = null;
    clearTimeout(this.#stableTimer);
    this.#stableTimer = 0;
    if (this.#stopped) return;
    this.#opts.onClose?.(event.code);
    // A failed handshake reports 1006 with no reason: reconnectable by the rules.
    const action = this.#opts.getCloseAction(event.code);
    if (action === CloseAction.RECONNECT) this.#scheduleReconnect();
    else this.#giveUp(action, event.code, event.reason);
  }

  #giveUp(action, code, reason) {
    this.#stopped = true;
    this.#clearTimers();
    this.#emitState(ConnState.OFFLINE);
    this.#opts.onStop(action, code, reason);
  }

  #scheduleReconnect() {
    const delay = backoffDelay(this.#attempt);
    this.#attempt += 1;
    this.#retryAt = Date.now() + delay;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = 0;
      this.#open();
    }, delay);
    this.#tick();
  }

  // Update the "reconnecting in Ns" countdown once per second.
  #tick() {
    const remaining = Math.max(0, this.#retryAt - Date.now());
    this.#emitState(ConnState.RECONNECTING, { seconds: Math.ceil(remaining / 1000) });
    if (remaining > 1000) this.#tickTimer = setTimeout(() => this.#tick(), remaining % 1000 || 1000);
  }

  #clearTimers() {
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#tickTimer);
    this.#retryTimer = 0;
    this.#tickTimer = 0;
  }

  #emitState(state, info = {}) {
    this.#opts.onState?.(state, info);
  }
}
