// One render job: its state, a progress bar with ETA, and the actions its state allows --
// pay, cancel, retry, and when done the video inline with a Download button (a fresh link each
// time). Stripe Checkout returns here with ?checkout=success|canceled.
import { api, NetworkError, SessionLost } from '../api.js';
import { clearAlert, showError } from '../alerts.js';
import { $, formatBytes, formatDate, formatEta, formatMoney, formatTime, h, icon, pageConfig, replaceChildren, statusBadge } from '../dom.js';
import { setBusy } from '../forms.js';
import { startPage } from '../page.js';

const settings = pageConfig();
const jobId = window.location.pathname.split('/').filter(Boolean).pop();
const alert = $('#job-alert');
const ACTIVE = new Set(['queued', 'rendering']);
const CANCELABLE = new Set(['awaiting_payment', 'queued', 'rendering']);
const TEMPLATE_NAMES = { bars: 'Mirrored bars', wave: 'Oscilloscope', radial: 'Radial spectrum', particles: 'Particle field' };
const ASPECT_NAMES = { '16:9': 'Landscape 16:9', '1:1': 'Square 1:1', '9:16': 'Portrait 9:16' };
const sizeText = (size) => String(size).replace('x', ' × ');
const formatsOf = (config) => (config && config.formats && config.formats.length ? config.formats : [config && config.size].filter(Boolean));

let job = null;
let timer = null;
let shownVideoFor = null;
let failures = 0;

const checkout = new URLSearchParams(window.location.search).get('checkout');
if (checkout) {
  $('#job-notice').textContent = checkout === 'success'
    ? 'Thank you: your payment went through. The render starts as soon as Stripe confirms it, usually within seconds.'
    : 'The payment was canceled and you have not been charged. You can pay whenever you are ready.';
  window.history.replaceState(null, '', window.location.pathname);
}

// Back from paying: Stripe's confirmation (the webhook) may take a moment; do not offer to pay again.
const justPaid = checkout === 'success';

const MESSAGES = {
  awaiting_payment: () => {
    if (!settings.payments_enabled) return 'This render is waiting to start.';
    return justPaid ? 'Confirming your payment with Stripe…' : 'This render starts once it is paid for.';
  },
  queued: () => 'Waiting for a free renderer…',
  rendering: () => 'Drawing every frame and encoding the video…',
  completed: (j) => (j.video_expires_at ? `Your video is ready. It is kept until ${formatDate(j.video_expires_at)}.` : 'Your video is ready.'),
  failed: () => 'The render failed.',
  canceled: () => 'This render was canceled.',
  expired: () => `This video was deleted after ${settings.video_retention_days} days, as announced when it was ready.`,
};

function details(j) {
  const config = j.config || {};
  const rows = [
    ['Template', TEMPLATE_NAMES[config.template] || config.template],
    ['Title', config.title || '—'],
    ['Artist', config.artist || '—'],
    [formatsOf(config).length > 1 ? 'Formats' : 'Size', formatsOf(config).length ? `${formatsOf(config).map(sizeText).join(', ')} at ${config.fps} fps` : ''],
    ['Captions', config.captions && config.captions.cues ? `${config.captions.cues.length} timed` : ''],
    ['Length', config.trim_end != null ? formatTime(config.trim_end - (config.trim_start || 0), { tenths: true }) : ''],
    ['Song', j.audio && j.audio.filename],
    ['Price', j.price && settings.payments_enabled ? formatMoney(j.price.amount, j.price.currency) : ''],
    ['Created', formatDate(j.created_at)],
    ['Finished', formatDate(j.completed_at)],
    ['Attempts', j.attempts > 1 ? String(j.attempts) : ''],
  ];
  replaceChildren($('#job-details'), rows.filter(([, v]) => v).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function render(j) {
  job = j;
  $('#job-loading').hidden = true;
  $('#job-state').hidden = false;
  const title = (j.config && j.config.title) || 'Your video';
  $('#job-title').textContent = title;
  document.title = `${title} · Waveframe`;
  const subtitle = $('#job-subtitle');
  subtitle.textContent = (j.config && j.config.artist) || '';
  subtitle.hidden = !subtitle.textContent;
  const statusEl = $('#job-status');
  if (statusEl.dataset.status !== j.status) {
    replaceChildren(statusEl, statusBadge(j.status));
    statusEl.dataset.status = j.status;
  }
  const progress = j.status === 'completed' ? 100 : j.progress || 0;
  $('#job-progress').value = progress;
  $('#job-percent').textContent = `${progress}%`;
  $('#job-progress-box').hidden = !['queued', 'rendering', 'completed'].includes(j.status);
  $('#job-eta').textContent = j.status === 'rendering' ? formatEta(j.eta_seconds) : '';
  $('#job-message').textContent = MESSAGES[j.status] ? MESSAGES[j.status](j) : '';
  $('#job-error').hidden = !j.error || j.status !== 'failed';
  $('#job-error-message').textContent = j.error ? j.error.message : '';
  $('#pay-button').hidden = !(settings.payments_enabled && j.status === 'awaiting_payment' && !justPaid);
  $('#cancel-button').hidden = !CANCELABLE.has(j.status);
  $('#retry-button').hidden = j.status !== 'failed';
  const outputs = j.status === 'completed' ? (j.outputs || []) : [];
  $('#download-button').hidden = j.status !== 'completed' || outputs.length > 1;
  $('#video-box').hidden = j.status !== 'completed';
  showDownloads(outputs);
  if (j.status === 'completed' && shownVideoFor !== j.id) showVideo(j);
  details(j);
}

async function freshLink(size = null) {
  return api(`renders/${jobId}/download${size ? `?size=${encodeURIComponent(size)}` : ''}`);
}

let playing = null; // the size of the format in the player

async function showVideo(j, size = null) {
  shownVideoFor = j.id;
  playing = size || (j.outputs && j.outputs[0] ? j.outputs[0].size : j.config.size);
  const video = $('#job-video');
  const [w, hgt] = String(playing || '1920x1080').split('x').map(Number);
  video.width = w;
  video.height = hgt;
  for (const button of document.querySelectorAll('#download-list [data-play]')) {
    button.setAttribute('aria-pressed', String(button.dataset.play === playing));
  }
  try {
    video.src = (await freshLink(size)).url;
  } catch (err) {
    shownVideoFor = null;
    showError(alert, err, { retry: () => showVideo(j, size) });
  }
}

// An order of several formats: each with its size, its bytes, Play and Download.
let shownDownloads = '';
function showDownloads(outputs) {
  const box = $('#job-downloads');
  box.hidden = outputs.length < 2;
  const key = outputs.map((o) => o.size).join(',');
  if (box.hidden || key === shownDownloads) return;
  shownDownloads = key;
  replaceChildren($('#download-list'), outputs.map((output) => {
    const name = ASPECT_NAMES[output.aspect] || output.aspect;
    const download = h('button', { type: 'button', class: 'primary button-small' },
      icon('download'), h('span', {}, `Download ${output.aspect}`));
    download.addEventListener('click', () => downloadFormat(download, output.size));
    const play = h('button', { type: 'button', class: 'secondary button-small', dataset: { play: output.size },
      'aria-pressed': String(output.size === playing), 'aria-label': `Play ${name}` }, 'Play');
    play.addEventListener('click', () => showVideo(job, output.size));
    return h('li', { class: 'download-item', dataset: { size: output.size } },
      h('span', { class: 'download-name' }, name),
      h('span', { class: 'muted download-meta' }, `${sizeText(output.size)} · ${formatBytes(output.bytes)}`),
      h('span', { class: 'download-actions' }, play, download));
  }));
}

async function download() {
  return downloadFormat($('#download-button'), null);
}

async function downloadFormat(button, size) {
  clearAlert(alert);
  setBusy(button, true);
  try {
    const link = await freshLink(size); // a new signed link for every download
    const a = h('a', { href: link.url, download: '', hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
  } catch (err) {
    if (!(err instanceof SessionLost)) showError(alert, err, { retry: () => downloadFormat(button, size) });
  } finally {
    setBusy(button, false);
  }
}

async function act(button, path, label) {
  clearAlert(alert);
  setBusy(button, true, label);
  try {
    const answer = await api(path, { method: 'POST' });
    if (answer.checkout_url) { window.location.assign(answer.checkout_url); return; }
    render(answer);
    schedule();
  } catch (err) {
    if (!(err instanceof SessionLost)) showError(alert, err, { retry: () => act(button, path, label) });
  } finally {
    setBusy(button, false, label);
  }
}

function pollDelay() {
  if (!job) return 2000;
  if (ACTIVE.has(job.status)) return 1000;
  if (job.status === 'awaiting_payment') return justPaid ? 1500 : 5000;
  return null; // finished: nothing changes any more
}

function schedule() {
  clearTimeout(timer);
  const delay = pollDelay();
  if (delay !== null) timer = setTimeout(load, document.visibilityState === 'visible' ? delay : delay * 5);
}

async function load() {
  try {
    render(await api(`renders/${jobId}`));
    if (failures) clearAlert(alert);
    failures = 0;
  } catch (err) {
    if (err instanceof SessionLost) return;
    failures += 1;
    $('#job-loading').hidden = true;
    showError(alert, err, { retry: load });
    if (!(err instanceof NetworkError) && !(err.status >= 500)) return; // a 404 will not change
    window.addEventListener('online', load, { once: true });
    clearTimeout(timer);
    timer = setTimeout(load, Math.min(30000, 2000 * 2 ** failures));
    return;
  }
  schedule();
}

$('#download-button').addEventListener('click', download);
$('#pay-button').addEventListener('click', (e) => act(e.currentTarget, `renders/${jobId}/checkout`, 'Opening checkout…'));
$('#retry-button').addEventListener('click', (e) => act(e.currentTarget, `renders/${jobId}/retry`, 'Retrying…'));
$('#cancel-button').addEventListener('click', () => {
  const dialog = $('#cancel-dialog');
  $('#cancel-paid').hidden = !(job && job.paid_at);
  dialog.returnValue = '';
  dialog.showModal();
});
$('#cancel-dialog').addEventListener('close', () => {
  if ($('#cancel-dialog').returnValue === 'confirm') act($('#cancel-button'), `renders/${jobId}/cancel`, 'Canceling…');
  else $('#cancel-button').focus();
});
document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible' && pollDelay() !== null) load(); });

await startPage({ auth: 'required' });
await load();
