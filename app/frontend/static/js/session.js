// Who is signed in. Each page load asks for a fresh access token with the refresh cookie
// (the token itself only ever lives in api.js's memory).
import { api, COOKIE_TRANSPORT, onSessionLost, refreshAccessToken, setAccessToken } from './api.js';

let currentUser = null;
const listeners = new Set();

// A hint (not a secret) that this browser holds a refresh cookie, so signed-out visitors do not
// send a refresh that can only fail. Without storage, always try.
const HINT = 'waveframe.session';
function hint(value) {
  try {
    if (value === undefined) return window.localStorage.getItem(HINT) !== null;
    if (value) window.localStorage.setItem(HINT, '1');
    else window.localStorage.removeItem(HINT);
  } catch {
    return true;
  }
  return value;
}

// Messages the login page shows for ?reason=... (a fixed table: nothing from the URL is echoed).
export const LOGIN_REASONS = {
  expired: 'Your session has expired. Log in again to continue.',
  login_required: 'Log in to continue.',
  logged_out: 'You have been logged out.',
  password_changed: 'Your password has been changed. Log in with your new password.',
  account_unavailable: 'This account is not available. Log in with another one.',
};

export function user() { return currentUser; }

export function onUserChange(listener) {
  listeners.add(listener);
  listener(currentUser);
}

function setUser(value) {
  currentUser = value;
  for (const listener of listeners) listener(currentUser);
}

// A same-site path to go back to after logging in; anything else becomes the create page.
export function safeNext(value, fallback = '/create') {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.includes('\\')) return fallback;
  try {
    const url = new URL(value, window.location.origin);
    return url.origin === window.location.origin ? url.pathname + url.search + url.hash : fallback;
  } catch {
    return fallback;
  }
}

export function loginUrl(reason, next = window.location.pathname + window.location.search) {
  const params = new URLSearchParams();
  if (reason) params.set('reason', reason);
  if (next && next !== '/login') params.set('next', next);
  return `/login?${params}`;
}

function goToLogin(reason) {
  window.location.assign(loginUrl(reason));
}

onSessionLost((reason) => {
  hint(false);
  setUser(null);
  goToLogin(reason);
});

// Try to resume the session from the refresh cookie; resolves to the user or null.
let restoring = null;
let refreshFailed = false;
export function restoreSession() {
  restoring ??= (async () => {
    if (!hint()) { setUser(null); return null; }
    try {
      await refreshAccessToken();
    } catch (err) {
      if (err.name === 'NetworkError') throw err;
      hint(false);
      refreshFailed = true;
      setUser(null);
      return null;
    }
    setUser(await api('account'));
    return currentUser;
  })().finally(() => { restoring = null; });
  return restoring;
}

// For pages that need an account: the user, or a trip to the login page.
export async function requireSession() {
  const found = await restoreSession();
  if (!found) {
    goToLogin(refreshFailed ? 'expired' : 'login_required');
    return new Promise(() => {}); // the page is being left
  }
  return found;
}

function startSession(answer) {
  hint(true);
  setAccessToken(answer.access_token);
  setUser(answer.user);
  return answer.user;
}

export async function logIn(email, password) {
  return startSession(await api('auth/login', { method: 'POST', auth: false, json: { email, password }, headers: COOKIE_TRANSPORT }));
}

export async function signUp(email, password) {
  return startSession(await api('auth/register', { method: 'POST', auth: false, json: { email, password }, headers: COOKIE_TRANSPORT }));
}

export async function logOut() {
  try {
    await api('auth/logout', { method: 'POST', headers: COOKIE_TRANSPORT });
  } finally {
    hint(false);
    setAccessToken(null);
    setUser(null);
  }
  window.location.assign('/login?reason=logged_out');
}

// PATCH /account. Changes need an access token from a login, not from a refresh: when the
// server says so, log in again with the current password (which the form asked for anyway).
export async function updateAccount(changes) {
  const patch = () => api('account', { method: 'PATCH', json: changes, headers: COOKIE_TRANSPORT });
  let answer;
  try {
    answer = await patch();
  } catch (err) {
    if (err.code !== 'fresh_login_required' || !currentUser) throw err;
    await logIn(currentUser.email, changes.current_password);
    answer = await patch();
  }
  if (answer.access_token) setAccessToken(answer.access_token);
  setUser(answer.user);
  return answer.user;
}
