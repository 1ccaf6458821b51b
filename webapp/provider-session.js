// Sign-in with the organisation's OpenID Connect provider (CHAT_OIDC_ISSUER), run by the page
// itself as a public client (CHAT_OIDC_CLIENT_ID): the authorization code flow with PKCE (S256),
// `state` and `nonce` (SECURITY.md says why in the page and not through the server). The answer
// comes back in the URL's fragment (response_mode=fragment), so the code never reaches this
// server's or a proxy's request logs. The provider's access token is the chat's token; its
// refresh token and ID token stay in this tab's sessionStorage (session.js), and the access
// token is renewed with the refresh token before it expires (token-keeper.js), so a user stays in
// until the provider's session ends. A new tab or a restarted browser signs in again without a
// form (prompt=none) while the provider's session lasts. Log out ends the provider's session
// (RP-initiated logout), else the next load would sign the user straight back in.

import * as session from "./session.js";
import { KeptSession } from "./token-keeper.js";

const { claimsOf } = session;

/** sessionStorage: the sign-in under way in this tab (its verifier, state and nonce). */
const PENDING_KEY = "chat.oidc.pending";
/** localStorage flag: this browser signed in with the provider (not a secret; allows the form-less sign-in). */
const SIGNED_IN_KEY = "chat.provider.signedIn";
/** An answer to a sign-in started longer ago than this is not taken. */
const PENDING_MAX_AGE_MS = 10 * 60_000;
/** A token request that takes longer has failed (offline: tried again at the next tick). */
const TOKEN_TIMEOUT_MS = 10_000;
/** The provider's own error text is shown (as text), cut to this length. */
const MAX_ERROR_TEXT = 200;

const signedInFlag = session.browserFlag(SIGNED_IN_KEY);

function base64url(bytes) {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** 256 random bits, base64url: a PKCE verifier (RFC 7636 §4.1 wants 43 to 128 characters), a state, a nonce. */
function randomToken() {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  return base64url(bytes);
}

async function challengeOf(verifier) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

/** The sign-in under way, taken out (an answer is used once), or null. */
function takePending() {
  try {
    const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY));
    sessionStorage.removeItem(PENDING_KEY);
    return pending && typeof pending.state === "string" ? pending : null;
  } catch {
    return null;
  }
}

/** The page's own address without query or fragment: the redirect URI registered at the provider. */
export function redirectUri() {
  return location.origin + location.pathname;
}

/** The fragment's parameters when this load is the provider's answer to a sign-in, else null. */
export function providerAnswer() {
  const params = new URLSearchParams(location.hash.slice(1));
  return params.has("state") && (params.has("code") || params.has("error")) ? params : null;
}

export class ProviderSession extends KeptSession {
  #provider;

  /**
   * @param {object} provider  what GET api/auth says: name, issuer, clientId, authorizationEndpoint,
   *                           tokenEndpoint, endSessionEndpoint (optional)
   * @param {object} opts      as TokenKeeper's: send, onEnded
   */
  constructor(provider, opts) {
    super(opts, "chat-provider-refresh", (wanted) => this.#refresh(wanted));
    this.#provider = provider;
  }

  get name() {
    return this.#provider.name;
  }

  /** Whether this browser signed in with the provider before (and did not log out). */
  wasSignedIn() {
    return signedInFlag.isSet();
  }

  /**
   * Sends the browser to the provider's sign-in. silent: no form (prompt=none); the provider
   * answers at once, with a code when its session is alive, else with login_required.
   * @throws Error when the page is not in a secure context (PKCE needs Web Crypto)
   */
  async begin({ silent = false } = {}) {
    if (!window.isSecureContext || !globalThis.crypto?.subtle) {
      throw new Error(`Signing in with ${this.name} needs HTTPS.`);
    }
    const verifier = randomToken();
    const state = randomToken();
    const nonce = randomToken();
    sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, nonce, silent, at: Date.now() }));
    const url = new URL(this.#provider.authorizationEndpoint);
    const params = {
      response_type: "code",
      response_mode: "fragment",
      client_id: this.#provider.clientId,
      redirect_uri: redirectUri(),
      scope: "openid profile email",
      state,
      nonce,
      code_challenge: await challengeOf(verifier),
      code_challenge_method: "S256",
    };
    if (silent) params.prompt = "none";
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    location.assign(url.toString());
  }

  /**
   * Takes the provider's answer (see providerAnswer) and trades its code for tokens.
   * Resolves to {ok: true}, or {ok: false, message} (message "" when a silent sign-in found no
   * session at the provider: the user just gets the button).
   */
  async complete(params) {
    // The code leaves the address bar and the history at once, whatever happens next.
    history.replaceState(null, "", location.pathname + location.search);
    const pending = takePending();
    const stale = "The sign-in could not be completed; please try again.";
    if (!pending || params.get("state") !== pending.state || !(Date.now() - pending.at < PENDING_MAX_AGE_MS)) {
      return { ok: false, message: stale };
    }
    // RFC 9207: an answer that names another issuer is a mix-up (another provider's code).
    if (params.has("iss") && params.get("iss") !== this.#provider.issuer) return { ok: false, message: stale };
    if (params.has("error")) {
      if (pending.silent) {
        signedInFlag.set(false); // no session there: the next tab shows the button instead of asking again
        return { ok: false, message: "" };
      }
      const said = (params.get("error_description") || params.get("error")).slice(0, MAX_ERROR_TEXT);
      return { ok: false, message: `Signing in with ${this.name} failed: ${said}` };
    }
    const outcome = await this.#token(
      { grant_type: "authorization_code", code: params.get("code"), redirect_uri: redirectUri(), code_verifier: pending.verifier },
      pending.nonce,
    );
    if (outcome === "ok") {
      signedInFlag.set(true);
      return { ok: true };
    }
    return {
      ok: false,
      message: outcome === "offline" ? `Cannot reach ${this.name}; please try again.` : `Signing in with ${this.name} failed; please try again.`,
    };
  }

  /** On load: true when this tab signed in with the provider and has (or renews) a token. */
  async resume() {
    if (!session.loadProviderTokens()) return false;
    const s = session.loadSession();
    if (s && !session.isExpired(s)) return true;
    return this.renew();
  }

  /**
   * Forgets the sign-in here; resolves to the provider's end-session address to visit (which ends
   * its session and comes back to the page), or null when the provider has none. Never rejects.
   */
  async logout() {
    this.stop();
    signedInFlag.set(false);
    const end = this.#provider.endSessionEndpoint;
    if (!end) return null;
    const url = new URL(end);
    url.searchParams.set("client_id", this.#provider.clientId);
    url.searchParams.set("post_logout_redirect_uri", redirectUri());
    const idToken = session.loadProviderTokens()?.idToken;
    if (idToken) url.searchParams.set("id_token_hint", idToken);
    return url.toString();
  }

  async #refresh(wanted) {
    const refreshToken = session.loadProviderTokens()?.refreshToken;
    if (!refreshToken) return "ended";
    return this.#token({ grant_type: "refresh_token", refresh_token: refreshToken }, null, wanted);
  }

  /** POSTs to the token endpoint and stores what it answers: "ok", "ended" or "offline". */
  async #token(params, nonce, wanted = () => true) {
    let res;
    try {
      res = await fetch(this.#provider.tokenEndpoint, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
        body: new URLSearchParams({ ...params, client_id: this.#provider.clientId }),
        credentials: "omit",
        cache: "no-store",
        // a hung provider must not hold the renewal (and its lock, in every tab) for good
        signal: AbortSignal.timeout(TOKEN_TIMEOUT_MS),
      });
    } catch {
      return "offline"; // the next tick tries again
    }
    let data = {};
    try {
      data = await res.json();
    } catch {
      /* no body */
    }
    if (!wanted()) return "ended"; // logged out meanwhile: these tokens are nobody's now
    if (res.ok && typeof data.access_token === "string" && data.access_token) {
      const previous = session.loadProviderTokens() ?? { refreshToken: "", idToken: "" };
      const idToken = typeof data.id_token === "string" ? data.id_token : previous.idToken;
      if (nonce !== null && !this.#isOurs(idToken, nonce)) return "ended";
      const claims = claimsOf(data.access_token);
      const named = [claims.preferred_username, claims.sub].find((v) => typeof v === "string" && v);
      // the welcome frame names the user as the server reads the token (CHAT_JWT_USER_CLAIM)
      const user = session.loadSession()?.user || named || "";
      session.saveSession({ token: data.access_token, user, expiresIn: Number(data.expires_in) || 0 });
      session.saveProviderTokens({
        refreshToken: typeof data.refresh_token === "string" ? data.refresh_token : previous.refreshToken,
        idToken,
      });
      return "ok";
    }
    // invalid_grant (RFC 6749 §5.2): the refresh token or the provider's session is over
    if (res.status === 400 || res.status === 401) {
      signedInFlag.set(false);
      return "ended";
    }
    return "offline"; // 429, 5xx: try again later
  }

  /**
   * The ID token answers this sign-in: our nonce, our provider, our client. Its signature is not
   * checked here: it came straight from the token endpoint over TLS (OpenID Connect Core
   * §3.1.3.7), and the server checks every access token it is given anyway.
   */
  #isOurs(idToken, nonce) {
    const c = claimsOf(idToken);
    const aud = Array.isArray(c.aud) ? c.aud : [c.aud];
    return c.nonce === nonce && c.iss === this.#provider.issuer && aud.includes(this.#provider.clientId);
  }
}
