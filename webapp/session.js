// sessionStorage persistence: token (so a reload stays logged in), user name,
// token expiry, joined rooms, rooms we created, open DM conversations, the
// highest gap-free seq per conversation (the `since` of a rejoin, see state.js)
// and the conversation in view; for a sign-in with the identity provider, its refresh and ID
// tokens (see provider-session.js). Cleared on logout.

const KEY = "chat.session";
const ROOMS_KEY = "chat.rooms";
const CURRENT_KEY = "chat.currentRoom";
const SEQS_KEY = "chat.seqs";
const DMS_KEY = "chat.dms";
const OWNED_KEY = "chat.ownedRooms";
const PROVIDER_KEY = "chat.provider";

function read(key) {
  try {
    return JSON.parse(sessionStorage.getItem(key));
  } catch {
    return null;
  }
}

function write(key, value) {
  try {
    sessionStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage full or disabled (private mode): the app still works, a reload logs out.
  }
}

/** Store a fresh login. expiresIn is in seconds (0 = unknown). */
export function saveSession({ token, user, expiresIn }) {
  const expiresAt = expiresIn > 0 ? Date.now() + expiresIn * 1000 : expiryOf(token);
  write(KEY, { token, user, expiresAt });
}

/** A JWT's claims, read without checking them (the server checks every use); {} when unreadable. */
export function claimsOf(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "=")));
    return claims && typeof claims === "object" ? claims : {};
  } catch {
    return {};
  }
}

/** A JWT's exp in ms, or 0 when it has none. */
function expiryOf(token) {
  const { exp } = claimsOf(token);
  return Number.isFinite(exp) ? exp * 1000 : 0;
}

/**
 * A flag in localStorage, shared by the browser's tabs (not a secret: it only says which sign-in
 * this browser holds). Storage disabled: never set, so every load asks for a sign-in.
 */
export function browserFlag(key) {
  return {
    set(on) {
      try {
        if (on) localStorage.setItem(key, "1");
        else localStorage.removeItem(key);
      } catch {
        /* storage disabled */
      }
    },
    isSet() {
      try {
        return localStorage.getItem(key) === "1";
      } catch {
        return false;
      }
    },
  };
}

/** {token, user, expiresAt} or null. */
export function loadSession() {
  const s = read(KEY);
  return s && typeof s.token === "string" && s.token ? s : null;
}

export function updateUser(user) {
  const s = loadSession();
  if (s && s.user !== user) write(KEY, { ...s, user });
}

export function isExpired(s) {
  return Boolean(s && s.expiresAt && Date.now() >= s.expiresAt);
}

/** Joined room names, or null if nothing was stored yet (first login). */
export function loadRooms() {
  const rooms = read(ROOMS_KEY);
  return Array.isArray(rooms) ? rooms.filter((r) => typeof r === "string") : null;
}

export function saveRooms(names) {
  write(ROOMS_KEY, names);
}

export function loadCurrentRoom() {
  const r = read(CURRENT_KEY);
  return typeof r === "string" ? r : null;
}

export function saveCurrentRoom(name) {
  write(CURRENT_KEY, name);
}

const EPOCH_KEY = "chat.epoch";

/** The server history's epoch these seqs belong to (see the welcome frame), or null. */
export function loadEpoch() {
  const e = read(EPOCH_KEY);
  return typeof e === "string" ? e : null;
}

export function saveEpoch(epoch) {
  write(EPOCH_KEY, epoch);
}

/** Pane key (room name or "@user") -> highest gap-free seq; {} when nothing was stored. */
export function loadSeqs() {
  const seqs = read(SEQS_KEY);
  const out = {};
  if (seqs && typeof seqs === "object") {
    for (const [k, v] of Object.entries(seqs)) if (Number.isInteger(v) && v >= 0) out[k] = v;
  }
  return out;
}

export function saveSeqs(seqs) {
  write(SEQS_KEY, seqs);
}

/** Users we have a DM conversation with. */
export function loadDms() {
  const dms = read(DMS_KEY);
  return Array.isArray(dms) ? dms.filter((u) => typeof u === "string") : [];
}

export function saveDms(users) {
  write(DMS_KEY, users);
}

/** Rooms we created (we may invite to them). */
export function loadOwnedRooms() {
  const owned = read(OWNED_KEY);
  return Array.isArray(owned) ? owned.filter((r) => typeof r === "string") : [];
}

export function saveOwnedRooms(names) {
  write(OWNED_KEY, names);
}

/** The provider's tokens of this tab's sign-in: {refreshToken, idToken}. */
export function saveProviderTokens({ refreshToken, idToken }) {
  write(PROVIDER_KEY, { refreshToken, idToken });
}

/** Forgets the provider's tokens (a local login, or a provider sign-in that is over). */
export function clearProviderTokens() {
  try {
    sessionStorage.removeItem(PROVIDER_KEY);
  } catch {
    /* ignore */
  }
}

/** {refreshToken, idToken} (either may be empty) when this tab signed in with the provider, else null. */
export function loadProviderTokens() {
  const t = read(PROVIDER_KEY);
  if (!t || typeof t !== "object") return null;
  return {
    refreshToken: typeof t.refreshToken === "string" ? t.refreshToken : "",
    idToken: typeof t.idToken === "string" ? t.idToken : "",
  };
}

export function clearSession() {
  for (const k of [KEY, ROOMS_KEY, CURRENT_KEY, SEQS_KEY, DMS_KEY, OWNED_KEY, PROVIDER_KEY]) {
    try {
      sessionStorage.removeItem(k);
    } catch {
      /* ignore */
    }
  }
}
