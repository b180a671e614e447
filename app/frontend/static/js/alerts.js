// Every error a person can meet ends up here, as text in an element with role="alert":
// the API's own message, a "can't reach the server" with a Retry button, a 429 with a countdown.
import { ApiError, NetworkError, SessionLost } from './api.js';
import { h, icon, replaceChildren } from './dom.js';

const countdowns = new WeakMap();

// Field names in the API's details ("config.trim_end") in words a person knows.
const FIELD_LABELS = {
  email: 'Email', password: 'Password', current_password: 'Current password', audio: 'Audio file',
  background: 'Background image', cover: 'Cover image', logo: 'Logo',
  'config.trim_start': 'Start', 'config.trim_end': 'End', 'config.title': 'Title', 'config.artist': 'Artist',
  'config.size': 'Size', 'config.fps': 'Frames per second', 'config.template': 'Template',
};

export function fieldLabel(name) {
  if (FIELD_LABELS[name]) return FIELD_LABELS[name];
  const last = String(name).split('.').pop();
  return last.charAt(0).toUpperCase() + last.slice(1).replace(/_/g, ' ');
}

function fieldProblems(err) {
  const fields = err instanceof ApiError && err.details && err.details.fields;
  if (!fields || typeof fields !== 'object') return [];
  return Object.entries(fields).map(([name, messages]) => {
    const text = Array.isArray(messages) ? messages.join(' ') : typeof messages === 'object' ? JSON.stringify(messages) : String(messages);
    return `${fieldLabel(name)}: ${text}`;
  });
}

export function messageOf(err) {
  if (err instanceof ApiError || err instanceof NetworkError || err instanceof SessionLost) return err.message;
  if (err && err.name === 'AbortError') return 'Canceled.';
  return `Something went wrong: ${err && err.message ? err.message : String(err)}`;
}

function stopCountdown(box) {
  clearInterval(countdowns.get(box));
  countdowns.delete(box);
}

export function clearAlert(box) {
  if (!box) return;
  stopCountdown(box);
  box.replaceChildren();
  box.hidden = true;
}

// Show `err` in `box` (role="alert"). With `retry`, network errors and 429s get a Retry button
// (after a 429 it is enabled when the server says the limit is over).
export function showError(box, err, { retry = null } = {}) {
  stopCountdown(box);
  const message = h('p', { class: 'alert-message' }, messageOf(err));
  const problems = fieldProblems(err);
  const parts = [message];
  if (problems.length) parts.push(h('ul', {}, problems.map((p) => h('li', {}, p))));
  let button = null;
  const canRetry = retry && (err instanceof NetworkError || (err instanceof ApiError && (err.status === 429 || err.status >= 500)));
  if (canRetry) {
    button = h('button', { type: 'button', class: 'secondary button-small', onClick: () => { clearAlert(box); retry(); } },
      icon('retry'), 'Retry');
    parts.push(h('div', { class: 'alert-actions' }, button));
  }
  if (err instanceof ApiError && err.status === 429 && err.retryAfter !== null) {
    const wait = h('p', { class: 'alert-wait' });
    parts.splice(1, 0, wait);
    let left = err.retryAfter;
    const tick = () => {
      wait.textContent = left > 0 ? `You can try again in ${left} s.` : 'You can try again now.';
      if (button) button.disabled = left > 0;
      if (left <= 0) stopCountdown(box);
      left -= 1;
    };
    tick();
    countdowns.set(box, setInterval(tick, 1000));
  }
  replaceChildren(box, parts);
  box.hidden = false;
  if (!box.closest('[aria-live]') && box.getAttribute('role') !== 'alert') box.setAttribute('role', 'alert');
}

// A message of our own (a form check) in the same place errors go.
export function showMessage(box, text) {
  stopCountdown(box);
  replaceChildren(box, h('p', { class: 'alert-message' }, text));
  box.hidden = false;
}

// The page-wide banner: unexpected errors (never console-only) and being offline.
function banner() { return document.getElementById('global-alert'); }

export function showBanner(err, options) {
  const box = banner();
  if (box) showError(box, err, options);
}

export function installGlobalHandlers() {
  const box = banner();
  window.addEventListener('error', (event) => {
    if (event.error instanceof SessionLost) return;
    showBanner(event.error || new Error(event.message || 'an unexpected error'));
  });
  window.addEventListener('unhandledrejection', (event) => {
    if (event.reason instanceof SessionLost) return;
    showBanner(event.reason);
  });
  window.addEventListener('offline', () => {
    if (box) showError(box, new NetworkError('You are offline. What you have entered stays here; carry on when the connection is back.'));
  });
  window.addEventListener('online', () => clearAlert(box));
}
