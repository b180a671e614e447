// The only way the pages talk to the server: the JSON API under /api/v1.
// The access token lives in this module's memory only. The refresh token is an HttpOnly cookie
// the page cannot read (X-Refresh-Token-Transport: cookie, see app/accounts/refresh_cookie.py).
// A request answered 401 because the access token expired is retried once after one refresh;
// when that refresh fails, the page is told the session is lost (session.js sends the person
// to the login page with a message).

export const API = '/api/v1';
export const COOKIE_TRANSPORT = { 'X-Refresh-Token-Transport': 'cookie' };
const REFRESHABLE = new Set(['token_expired', 'invalid_token', 'unauthorized', 'token_revoked']);

// An answer of the API that is not a success: the server's own message, verbatim.
export class ApiError extends Error {
  constructor({ status, code, message, details = {}, retryAfter = null }) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details || {};
    this.retryAfter = retryAfter;
  }
}

// The server could not be reached at all (offline, connection refused, aborted by the network).
export class NetworkError extends Error {
  constructor(message = 'Could not reach Waveframe. Check your connection and try again.') {
    super(message);
    this.name = 'NetworkError';
  }
}

export class SessionLost extends Error {
  constructor(reason) {
    super('Your session has ended. Log in again.');
    this.name = 'SessionLost';
    this.reason = reason;
  }
}

let accessToken = null;
let refreshing = null;
let sessionLostHandler = () => {};

export function setAccessToken(token) { accessToken = token || null; }
export function hasAccessToken() { return accessToken !== null; }
export function onSessionLost(handler) { sessionLostHandler = handler; }

function retryAfterSeconds(headers) {
  const raw = headers.get('Retry-After');
  if (!raw) return null;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const at = Date.parse(raw);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

// Turn a non-2xx answer into an ApiError, whatever its body (ours is {error: {code, message, details}}).
export function errorFrom(status, statusText, body, headers) {
  const error = body && typeof body === 'object' && body.error;
  if (error && typeof error.message === 'string') {
    return new ApiError({ status, code: error.code || 'error', message: error.message,
      details: error.details, retryAfter: retryAfterSeconds(headers) });
  }
  return new ApiError({ status, code: 'http_error', retryAfter: retryAfterSeconds(headers),
    message: `The server answered ${status}${statusText ? ` ${statusText}` : ''}. Try again in a moment.` });
}

async function readBody(response) {
  if (response.status === 204) return null;
  const type = response.headers.get('Content-Type') || '';
  if (type.includes('json')) {
    try { return await response.json(); } catch { return null; }
  }
  try { return await response.text(); } catch { return null; }
}

async function send(path, { method = 'GET', json, body, headers = {}, auth = true, signal } = {}) {
  const init = { method, headers: { Accept: 'application/json', ...headers }, credentials: 'same-origin', signal };
  if (json !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(json);
  } else if (body !== undefined) {
    init.body = body;
  }
  if (auth && accessToken) init.headers.Authorization = `Bearer ${accessToken}`;
  let response;
  try {
    response = await fetch(path.startsWith('/') ? path : `${API}/${path}`, init);
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    throw new NetworkError();
  }
  const data = await readBody(response);
  if (!response.ok) throw errorFrom(response.status, response.statusText, data, response.headers);
  return data;
}

// One refresh at a time: concurrent 401s wait for the same one.
export function refreshAccessToken() {
  refreshing ??= send('auth/refresh', { method: 'POST', auth: false, headers: COOKIE_TRANSPORT })
    .then((answer) => { setAccessToken(answer.access_token); return answer.access_token; })
    .finally(() => { refreshing = null; });
  return refreshing;
}

function isExpiry(err) {
  return err instanceof ApiError && err.status === 401 && REFRESHABLE.has(err.code);
}

// Run `attempt` (which sends with the current token); on an expired token refresh once and retry.
export async function withRefresh(attempt, { auth = true } = {}) {
  try {
    return await attempt();
  } catch (err) {
    if (!auth || !isExpiry(err)) throw err;
    try {
      await refreshAccessToken();
    } catch (refreshError) {
      if (refreshError instanceof NetworkError) throw refreshError;
      setAccessToken(null);
      sessionLostHandler('expired');
      throw new SessionLost('expired');
    }
    return attempt();
  }
}

// api('renders/ID') -> parsed JSON; throws ApiError / NetworkError / SessionLost.
export function api(path, options = {}) {
  return withRefresh(() => send(path, options), options);
}

// POST multipart with upload progress (fetch cannot report it): onProgress(loaded, total).
export function upload(path, formData, { onProgress = () => {}, signal } = {}) {
  const attempt = () => new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${API}/${path}`);
    xhr.responseType = 'text';
    xhr.setRequestHeader('Accept', 'application/json');
    if (accessToken) xhr.setRequestHeader('Authorization', `Bearer ${accessToken}`);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress(event.loaded, event.total);
    });
    xhr.addEventListener('load', () => {
      let data = null;
      try { data = xhr.responseText ? JSON.parse(xhr.responseText) : null; } catch { data = xhr.responseText; }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else {
        const headers = { get: (name) => xhr.getResponseHeader(name) };
        reject(errorFrom(xhr.status, xhr.statusText, data, headers));
      }
    });
    xhr.addEventListener('error', () => reject(new NetworkError()));
    xhr.addEventListener('timeout', () => reject(new NetworkError()));
    xhr.addEventListener('abort', () => reject(new DOMException('The upload was canceled.', 'AbortError')));
    if (signal) {
      if (signal.aborted) { xhr.abort(); return; }
      signal.addEventListener('abort', () => xhr.abort(), { once: true });
    }
    xhr.send(formData);
  });
  return withRefresh(attempt);
}
