// The server's session of a local account (README, Sessions): the refresh token lives in the
// HttpOnly cookie chat_refresh, which this code never sees. ServerSession trades it for access
// tokens (POST api/refresh): on load, when this browser signed in before; and shortly before the
// tab's token expires (token-keeper.js). Refreshes are serialised across tabs with a Web Lock: two
// tabs presenting the same refresh token would count as a reuse and end the session. Logout ends
// the session (POST api/logout). The tab's access token is kept by session.js (sessionStorage).

import * as session from "./session.js";
import { KeptSession } from "./token-keeper.js";

const { claimsOf } = session;

/** localStorage flag: this browser holds a session cookie (not a secret; only saves a 401 on load). */
const SIGNED_IN_KEY = "chat.signedIn";

const signedInFlag = session.browserFlag(SIGNED_IN_KEY);

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

export class ServerSession extends KeptSession {

  /**
   * @param {object} opts
   * @param {(frame: object) => void} opts.send  sends a frame on the open connection, if any
   * @param {() => void} opts.onEnded            the server ended the session (a refresh of the open chat got 401)
   */
  constructor(opts) {
    super(opts, "chat-refresh", (wanted) => this.#refresh(wanted));
  }

  /** A login succeeded: the cookie is set; a provider's tokens left in this tab are not this sign-in's. */
  signedIn() {
    signedInFlag.set(true);
    session.clearProviderTokens();
  }

  /**
   * On load: a token for this tab, from the session cookie when the tab has none (a new tab, a
   * browser restart) or only an expired one. Resolves true when the tab now has a token.
   */
  async resume() {
    const s = session.loadSession();
    if (s && !session.isExpired(s)) return true;
    if (!signedInFlag.isSet()) return false;
    return this.renew();
  }

  /** Ends the session on the server (the cookie goes with it); never rejects; resolves to no page to visit. */
  async logout() {
    this.stop();
    signedInFlag.set(false);
    try {
      await post("api/logout", {});
    } catch {
      /* offline: the session expires on its own */
    }
    return null;
  }

  async #refresh(wanted) {
    let answer;
    try {
      answer = await post("api/refresh", {});
    } catch {
      return "offline"; // the next tick tries again
    }
    const { status, data } = answer;
    if (!wanted()) return "ended"; // logged out meanwhile: the answer is not this tab's any more
    if (status === 200 && typeof data.token === "string" && data.token) {
      const expiresIn = Number(data.expiresIn) || 0;
      const sub = claimsOf(data.token).sub;
      const user = typeof sub === "string" ? sub : session.loadSession()?.user ?? "";
      session.saveSession({ token: data.token, user, expiresIn });
      return "ok";
    }
    if (status === 401 || status === 403) {
      signedInFlag.set(false);
      return "ended";
    }
    return "offline"; // 429, 503: try again later
  }
}
