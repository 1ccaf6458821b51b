// The server's session of a local account (README, Sessions): the refresh token lives in the
// HttpOnly cookie chat_refresh, which this code never sees. ServerSession trades it for access
// tokens (POST api/refresh): on load, when this browser signed in before; and shortly before the
// tab's token expires, after which the open connection gets the protocol's `refresh` frame, so it
// stays open. Refreshes are serialised across tabs with a Web Lock: two tabs presenting the same
// refresh token would count as a reuse and end the session. Logout ends the session
// (POST api/logout). The tab's access token is kept by session.js (sessionStorage), as before.

import { newId } from "./protocol.js";
import * as session from "./session.js";

/** localStorage flag: this browser holds a session cookie (not a secret; only saves a 401 on load). */
const SIGNED_IN_KEY = "chat.signedIn";
/** How often the expiry is checked: timers stop while a laptop sleeps; a tick after waking catches up. */
const TICK_MS = 5000;
/** Refresh this long before the token expires (at most a third of its lifetime). */
const LEAD_MS = 60_000;
const LOCK = "chat-refresh";

/** A JWT's claims, read without checking them (the server checks every use); {} when unreadable. */
function claimsOf(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "=")));
    return claims && typeof claims === "object" ? claims : {};
  } catch {
    return {};
  }
}

/** When to refresh a token: LEAD_MS before it expires, or a third of its lifetime for short ones. */
function refreshAt(s) {
  const { iat, exp } = claimsOf(s.token);
  const lifetime = Number.isFinite(iat) && Number.isFinite(exp) ? (exp - iat) * 1000 : 0;
  return s.expiresAt - (lifetime > 0 ? Math.min(LEAD_MS, lifetime / 3) : LEAD_MS);
}

function flag(on) {
  try {
    if (on) localStorage.setItem(SIGNED_IN_KEY, "1");
    else localStorage.removeItem(SIGNED_IN_KEY);
  } catch {
    /* storage disabled: every load then asks the login form */
  }
}

function flagged() {
  try {
    return localStorage.getItem(SIGNED_IN_KEY) === "1";
  } catch {
    return false;
  }
}

async function post(path, body) {
  const res = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
    credentials: "same-origin",
  });
  let data = {};
  try {
    data = await res.json();
  } catch {
    /* no body */
  }
  return { status: res.status, data };
}

export class ServerSession {
  #opts;
  #tick = 0;
  #refreshing = null;

  /**
   * @param {object} opts
   * @param {(frame: object) => void} opts.send  sends a frame on the open connection, if any
   * @param {() => void} opts.onEnded            the server ended the session (a refresh of the open chat got 401)
   */
  constructor(opts) {
    this.#opts = opts;
  }

  /** A login succeeded: the cookie is set. */
  signedIn() {
    flag(true);
  }

  /**
   * On load: a token for this tab, from the session cookie when the tab has none (a new tab, a
   * browser restart) or only an expired one. Resolves true when the tab now has a token.
   */
  async resume() {
    const s = session.loadSession();
    if (s && !session.isExpired(s)) return true;
    if (!flagged()) return false;
    return this.renew();
  }

  /** Trades the cookie for a new access token now; true when it worked. */
  async renew() {
    return (await this.#renew()) === "ok";
  }

  /** "ok", "ended" (401: the session is over) or "offline". */
  #renew() {
    if (!this.#refreshing) {
      const run = () => this.#refresh();
      const locked = navigator.locks ? navigator.locks.request(LOCK, run) : run();
      this.#refreshing = locked.finally(() => {
        this.#refreshing = null;
      });
    }
    return this.#refreshing;
  }

  /** Keeps the tab's token fresh from now on (the chat is open). */
  keep() {
    if (this.#tick) return;
    this.#tick = setInterval(() => {
      const s = session.loadSession();
      if (!s || !s.expiresAt || Date.now() < refreshAt(s)) return;
      this.#renew().then((outcome) => {
        const fresh = outcome === "ok" && session.loadSession();
        if (fresh) this.#opts.send({ type: "refresh", token: fresh.token, id: newId("r") });
        else if (outcome === "ended" && this.#tick) {
          this.stop();
          this.#opts.onEnded();
        }
      });
    }, TICK_MS);
  }

  /** The chat was left (logout or a terminal close): no more refreshes. */
  stop() {
    clearInterval(this.#tick);
    this.#tick = 0;
  }

  /** Ends the session on the server (the cookie goes with it); never rejects. */
  async logout() {
    this.stop();
    flag(false);
    try {
      await post("api/logout", {});
    } catch {
      /* offline: the session expires on its own */
    }
  }

  async #refresh() {
    let answer;
    try {
      answer = await post("api/refresh", {});
    } catch {
      return "offline"; // the next tick tries again
    }
    const { status, data } = answer;
    if (status === 200 && typeof data.token === "string" && data.token) {
      const expiresIn = Number(data.expiresIn) || 0;
      const sub = claimsOf(data.token).sub;
      const user = typeof sub === "string" ? sub : session.loadSession()?.user ?? "";
      session.saveSession({ token: data.token, user, expiresIn });
      return "ok";
    }
    if (status === 401 || status === 403) {
      flag(false);
      return "ended";
    }
    return "offline"; // 429, 503: try again later
  }
}
