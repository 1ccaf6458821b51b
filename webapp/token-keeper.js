// What both kinds of sign-in share (server-session.js: a local account's session on this server;
// provider-session.js: the organisation's identity provider): the tab's access token is renewed
// shortly before it expires, one renewal at a time (across tabs with a Web Lock, where the browser
// has them), and the open connection then gets the protocol's in-band `refresh` frame, so it
// stays open. The renewal itself is the caller's.

import { newId } from "./protocol.js";
import * as session from "./session.js";

const { claimsOf } = session;

/** How often the expiry is checked: timers stop while a laptop sleeps; a tick after waking catches up. */
const TICK_MS = 5000;
/** Renew this long before the token expires (at most a third of its lifetime). */
const LEAD_MS = 60_000;

/** When to renew a token: LEAD_MS before it expires, or a third of its lifetime for short ones. */
function renewAt(s) {
  const { iat, exp } = claimsOf(s.token);
  const lifetime = Number.isFinite(iat) && Number.isFinite(exp) ? (exp - iat) * 1000 : 0;
  return s.expiresAt - (lifetime > 0 ? Math.min(LEAD_MS, lifetime / 3) : LEAD_MS);
}

export class TokenKeeper {
  #opts;
  #tick = 0;
  #renewing = null;
  /** Moves on at every stop(): a renewal that started before it must not store its tokens after it. */
  #generation = 0;

  /**
   * @param {object} opts
   * @param {string} opts.lock                                      the Web Lock's name
   * @param {(wanted: () => boolean) => Promise<"ok"|"ended"|"offline">} opts.renew
   *        gets a new access token and stores it only while wanted() (false once stop() was called since)
   * @param {(frame: object) => void} opts.send                     sends a frame on the open connection, if any
   * @param {() => void} opts.onEnded                               the sign-in is over (a renewal of the open chat was refused)
   */
  constructor(opts) {
    this.#opts = opts;
  }

  /** "ok", "ended" (the session is over) or "offline" (try again later); one renewal at a time. */
  renew() {
    if (!this.#renewing) {
      const generation = this.#generation;
      const run = () => this.#opts.renew(() => generation === this.#generation);
      const locked = navigator.locks ? navigator.locks.request(this.#opts.lock, run) : run();
      this.#renewing = locked.finally(() => {
        this.#renewing = null;
      });
    }
    return this.#renewing;
  }

  /** Keeps the tab's token fresh from now on (the chat is open). */
  keep() {
    if (this.#tick) return;
    this.#tick = setInterval(() => {
      const s = session.loadSession();
      // one renewal at a time, and one refresh frame for it
      if (this.#renewing || !s || !s.expiresAt || Date.now() < renewAt(s)) return;
      this.renew().then((outcome) => {
        const fresh = outcome === "ok" && session.loadSession();
        if (fresh) this.#opts.send({ type: "refresh", token: fresh.token, id: newId("r") });
        else if (outcome === "ended" && this.#tick) {
          this.stop();
          this.#opts.onEnded();
        }
      });
    }, TICK_MS);
  }

  /** The chat was left (logout or a terminal close): no more renewals. */
  stop() {
    clearInterval(this.#tick);
    this.#tick = 0;
    this.#generation += 1;
  }
}

/**
 * What a sign-in does with its keeper, the same for both kinds: renew now, keep fresh, stop. The
 * kind gives its own renewal (and its Web Lock's name).
 */
export class KeptSession {
  #keeper;

  /**
   * @param {object} opts   as TokenKeeper's: send, onEnded
   * @param {string} lock   the Web Lock's name
   * @param {(wanted: () => boolean) => Promise<"ok"|"ended"|"offline">} renew  the kind's renewal
   */
  constructor(opts, lock, renew) {
    this.#keeper = new TokenKeeper({ ...opts, lock, renew });
  }

  /** A new access token now; true when it worked. */
  async renew() {
    return (await this.#keeper.renew()) === "ok";
  }

  /** Keeps the tab's token fresh from now on (the chat is open). */
  keep() {
    this.#keeper.keep();
  }

  /** The chat was left (logout or a terminal close): no more renewals. */
  stop() {
    this.#keeper.stop();
  }
}

