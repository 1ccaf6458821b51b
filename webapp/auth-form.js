// The sign-in form: the identity provider's button, the local login and registration, as the
// server offers them (GET api/auth). A sign-in ends in ctx.enterChat() with ctx.activeSession set.

import * as api from "./api.js";
import { LOCAL_NAME_RE, MIN_PASSWORD } from "./protocol.js";
import * as session from "./session.js";

export function showAuth(ctx, message = "") {
  const { dom } = ctx;
  dom.chatView.hidden = true;
  dom.authView.hidden = false;
  dom.authError.textContent = message;
  document.title = "Chat";
  (ctx.localAccounts ? dom.username : dom.providerBtn).focus();
}

/** Shows the sign-ins the server offers: the provider's button, local accounts, registration. */
export function renderAuthChoices(ctx, auth) {
  const { dom, providerSession } = ctx;
  ctx.localAccounts = auth?.localAccounts !== false;
  const localAccounts = ctx.localAccounts;
  const registration = localAccounts && auth?.registration !== false;
  dom.localAuth.hidden = !localAccounts;
  dom.registerBtn.hidden = !registration;
  dom.authActions.classList.toggle("single", !registration);
  dom.providerAuth.hidden = !providerSession;
  dom.authOr.hidden = !(providerSession && localAccounts);
  if (providerSession) dom.providerBtn.textContent = `Sign in with ${providerSession.name}`;
  dom.authSub.textContent = !localAccounts
    ? `Sign in with your ${providerSession ? providerSession.name : "organisation's"} account.`
    : registration
      ? "Log in, or pick a name and password to create an account."
      : "Log in with your account.";
}

async function onProviderSignIn(ctx) {
  ctx.dom.authError.textContent = "";
  setAuthBusy(ctx, true);
  try {
    await ctx.providerSession.begin(); // the browser leaves for the provider
  } catch (err) {
    ctx.dom.authError.textContent = err.message;
    setAuthBusy(ctx, false);
  }
}

export function validateCredentials(ctx, mode, username, password) {
  const { dom } = ctx;
  if (!LOCAL_NAME_RE.test(username)) {
    return { field: dom.username, message: "User name: 1 to 32 letters, digits, “_”, “.” or “-”." };
  }
  if (!password) return { field: dom.password, message: "Please enter your password." };
  if (mode === "register" && password.length < MIN_PASSWORD) {
    return { field: dom.password, message: `Password must be at least ${MIN_PASSWORD} characters.` };
  }
  return null;
}

function setAuthBusy(ctx, busy) {
  const { dom } = ctx;
  dom.authForm.setAttribute("aria-busy", String(busy));
  dom.loginBtn.disabled = busy;
  dom.registerBtn.disabled = busy;
  dom.providerBtn.disabled = busy;
}

function setFieldInvalid(field, invalid) {
  if (invalid) field.setAttribute("aria-invalid", "true");
  else field.removeAttribute("aria-invalid");
}

async function onAuthSubmit(ctx, event) {
  const { dom } = ctx;
  event.preventDefault();
  // Enter in a field submits with the first button, i.e. "Log in".
  const mode = event.submitter === dom.registerBtn ? "register" : "login";
  const username = dom.username.value.trim();
  const password = dom.password.value;
  setFieldInvalid(dom.username, false);
  setFieldInvalid(dom.password, false);
  const problem = validateCredentials(ctx, mode, username, password);
  if (problem) {
    dom.authError.textContent = problem.message;
    setFieldInvalid(problem.field, true);
    problem.field.focus();
    return;
  }
  dom.authError.textContent = "";
  setAuthBusy(ctx, true);
  try {
    if (mode === "register") await api.register(username, password);
    const { token, expiresIn } = await api.login(username, password);
    session.saveSession({ token, user: username, expiresIn });
    ctx.serverSession.signedIn();
    ctx.activeSession = ctx.serverSession;
    dom.password.value = "";
    ctx.enterChat();
  } catch (err) {
    dom.authError.textContent = err instanceof api.ApiError ? err.message : "Something went wrong, please try again.";
  } finally {
    setAuthBusy(ctx, false);
  }
}

export function wire(ctx) {
  ctx.dom.authForm.addEventListener("submit", (event) => onAuthSubmit(ctx, event));
  ctx.dom.providerBtn.addEventListener("click", () => onProviderSignIn(ctx));
}
