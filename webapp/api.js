// HTTP calls. All paths are relative to the page URL so the app works under
// any context root (e.g. /chat/ -> /chat/api/login).

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

const FALLBACK_MESSAGES = {
  400: "The server rejected the request.",
  401: "Invalid user name or password.",
  403: "This action is not allowed.",
  409: "That user name is already taken.",
  429: "Too many attempts, please wait a moment.",
};

async function readJson(res) {
  try {
    return await res.json();
  } catch {
    return {};
  }
}

async function postJson(path, body) {
  let res;
  try {
    res = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError(0, "Cannot reach the server. Check your connection and try again.");
  }
  const data = await readJson(res);
  if (!res.ok) {
    const message =
      (data && typeof data.error === "string" && data.error) ||
      FALLBACK_MESSAGES[res.status] ||
      `Unexpected server response (${res.status}).`;
    throw new ApiError(res.status, message);
  }
  return data;
}

/** POST api/register -> {username}. Throws ApiError (400/403/409...). */
export function register(username, password) {
  return postJson("api/register", { username, password });
}

/** POST api/login -> {token, expiresIn}. Throws ApiError (401...). */
export async function login(username, password) {
  const data = await postJson("api/login", { username, password });
  if (!data || typeof data.token !== "string" || !data.token) {
    throw new ApiError(500, "The server did not return a session token.");
  }
  return { token: data.token, expiresIn: Number(data.expiresIn) || 0 };
}

/**
 * GET api/auth: which sign-ins the server offers, {localAccounts, registration, provider?}. Null
 * when it cannot be fetched (the page then offers local accounts, as servers before it did).
 * Never rejects.
 */
export async function fetchAuth(timeoutMs = 5000) {
  return getJson("api/auth", timeoutMs);
}

/**
 * GET api/protocol. Resolves to the description, or null when it cannot be
 * fetched (callers then use the built-in fallback rules). Never rejects.
 */
export async function fetchProtocol(timeoutMs = 5000) {
  return getJson("api/protocol", timeoutMs);
}

async function getJson(path, timeoutMs) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const res = await fetch(path, {
      headers: { Accept: "application/json" },
      signal: controller.signal,
    });
    if (!res.ok) return null;
    const data = await res.json();
    return data && typeof data === "object" ? data : null;
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}
