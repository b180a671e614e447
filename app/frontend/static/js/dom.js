// Building DOM from data without ever parsing data as HTML: text goes in as text nodes.

// h('a', {href: '/x', class: 'link', onClick: fn}, 'text', otherNode, [more, nodes])
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2).toLowerCase(), value);
    else if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'value' || key === 'checked' || key === 'textContent') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// An SVG icon from the local sprite.
export function icon(name) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', 'icon');
  svg.setAttribute('aria-hidden', 'true');
  const use = document.createElementNS(ns, 'use');
  use.setAttribute('href', `/assets/icons/icons.svg#${name}`);
  svg.append(use);
  return svg;
}

export function replaceChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

export function pageConfig() {
  const block = document.getElementById('waveframe-config');
  try { return JSON.parse(block ? block.textContent : '{}'); } catch { return {}; }
}

// -- formatting -------------------------------------------------------------------------------

// 75.5 -> "1:15.5" (tenths shown when `tenths`), 3725 -> "1:02:05"
export function formatTime(seconds, { tenths = false } = {}) {
  const value = Math.max(0, Number(seconds) || 0);
  const whole = tenths ? Math.floor(value * 10) / 10 : Math.round(value);
  const h = Math.floor(whole / 3600), m = Math.floor((whole % 3600) / 60), s = whole % 60;
  const sec = tenths ? s.toFixed(1).padStart(4, '0') : String(Math.floor(s)).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

// ETA in words: "about 40 s left", "about 3 min left"
export function formatEta(seconds) {
  if (seconds === null || seconds === undefined) return '';
  const s = Math.max(0, Math.round(seconds));
  if (s < 5) return 'a few seconds left';
  if (s < 90) return `about ${s} s left`;
  if (s < 3600) return `about ${Math.round(s / 60)} min left`;
  return `about ${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min left`;
}

export function formatBytes(bytes) {
  const n = Number(bytes) || 0;
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

export function formatMoney(amount, currency) {
  if (amount === null || amount === undefined || !currency) return '';
  try {
    const digits = new Intl.NumberFormat('en', { style: 'currency', currency: currency.toUpperCase() })
      .resolvedOptions().maximumFractionDigits;
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: currency.toUpperCase() })
      .format(amount / 10 ** digits);
  } catch {
    return `${amount} ${currency}`;
  }
}

export function formatDate(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

export const STATUS_LABELS = {
  awaiting_payment: 'Awaiting payment', queued: 'Queued', rendering: 'Rendering', completed: 'Completed',
  failed: 'Failed', canceled: 'Canceled', expired: 'Expired',
  pending: 'Pending', open: 'Open', paid: 'Paid', refunded: 'Refunded', partially_refunded: 'Partly refunded',
};

export function statusBadge(status) {
  return h('span', { class: 'badge', dataset: { status: String(status) } }, STATUS_LABELS[status] || String(status).replace(/_/g, ' '));
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
