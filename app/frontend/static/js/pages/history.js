// Past renders and payments with their states, newest first, a page at a time.
import { api, SessionLost } from '../api.js';
import { clearAlert, showError } from '../alerts.js';
import { $, formatDate, formatMoney, h, icon, pageConfig, replaceChildren, statusBadge } from '../dom.js';
import { setBusy } from '../forms.js';
import { startPage } from '../page.js';

const PER_PAGE = 20;
const settings = pageConfig();
let page = Math.max(1, Number(new URLSearchParams(window.location.search).get('page')) || 1);

// On narrow screens each cell shows its column name first (pages.css), but "What" needs none.
function cell(label, ...content) {
  return h('td', label === 'What' ? {} : { dataset: { label } }, ...content);
}

function row(item) {
  if (item.type === 'payment') {
    return h('tr', {},
      cell('What', h('span', { class: 'kind' }, 'Payment'), h('a', { href: `/renders/${item.render_job_id}` }, 'for this render')),
      cell('Status', statusBadge(item.status)),
      cell('Date', formatDate(item.paid_at || item.created_at)),
      cell('Amount', formatMoney(item.amount, item.currency)));
  }
  const progress = ['queued', 'rendering'].includes(item.status) ? ` ${item.progress}%` : '';
  return h('tr', {},
    cell('What', h('span', { class: 'kind' }, 'Render'), h('a', { href: `/renders/${item.id}` }, item.title || 'Untitled video'),
      formatsLine(item)),
    cell('Status', statusBadge(item.status), progress),
    cell('Date', formatDate(item.created_at)),
    cell('Amount', item.price_amount != null && settings.payments_enabled ? formatMoney(item.price_amount, item.price_currency) : '—'));
}

function aspectOf(size) {
  const [w, hgt] = size.split('x').map(Number);
  const gcd = (a, b) => (b ? gcd(b, a % b) : a);
  return `${w / gcd(w, hgt)}:${hgt / gcd(w, hgt)}`;
}

// The formats of a render side by side: a Download button each once it is completed.
function formatsLine(item) {
  const formats = item.formats || [];
  if (!formats.length) return null;
  const title = item.title || 'Untitled video';
  return h('span', { class: 'history-formats' }, formats.map((size) => {
    const label = `${aspectOf(size)} · ${size.replace('x', ' × ')}`;
    if (item.status !== 'completed') return h('span', { class: 'format-chip' }, label);
    const button = h('button', { type: 'button', class: 'secondary button-small', 'aria-label': `Download ${title}, ${label}` },
      icon('download'), h('span', {}, label));
    button.addEventListener('click', () => downloadFormat(button, item.id, size));
    return button;
  }));
}

async function downloadFormat(button, id, size) {
  clearAlert($('#history-alert'));
  setBusy(button, true);
  try {
    const link = await api(`renders/${id}/download?size=${encodeURIComponent(size)}`);
    const a = h('a', { href: link.url, download: '', hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
  } catch (err) {
    if (!(err instanceof SessionLost)) showError($('#history-alert'), err, { retry: () => downloadFormat(button, id, size) });
  } finally {
    setBusy(button, false);
  }
}

async function load() {
  clearAlert($('#history-alert'));
  try {
    const answer = await api(`account/history?page=${page}&per_page=${PER_PAGE}`);
    $('#history-loading').hidden = true;
    const pages = Math.max(1, Math.ceil(answer.total / PER_PAGE));
    $('#history-empty').hidden = answer.total > 0;
    $('#history-table').hidden = answer.total === 0;
    replaceChildren($('#history-rows'), answer.items.map(row));
    $('#history-pager').hidden = pages <= 1;
    $('#history-page').textContent = `Page ${page} of ${pages}`;
    $('#history-prev').disabled = page <= 1;
    $('#history-next').disabled = page >= pages;
  } catch (err) {
    if (err instanceof SessionLost) return;
    $('#history-loading').hidden = true;
    showError($('#history-alert'), err, { retry: load });
  }
}

function go(delta) {
  page += delta;
  const url = new URL(window.location.href);
  url.searchParams.set('page', String(page));
  window.history.replaceState(null, '', url);
  load();
}

$('#history-prev').addEventListener('click', () => go(-1));
$('#history-next').addEventListener('click', () => go(1));
await startPage({ auth: 'required' });
await load();
