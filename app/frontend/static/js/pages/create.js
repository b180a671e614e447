// The create page: choose a song, see the exact video live, trim, set it up, render (and pay).
import { api, SessionLost } from '../api.js';
import { clearAlert, showError, showMessage } from '../alerts.js';
import { $, formatBytes, formatTime, h, pageConfig } from '../dom.js';
import { setBusy, showFieldErrors } from '../forms.js';
import { startPage } from '../page.js';
import { Analyzer, decodeAudio } from '../create/audio_analysis.js';
import { readTags } from '../create/audio_tags.js';
import { CaptionsForm } from '../create/captions_form.js';
import { audioFileProblem, bindAudioPicker } from '../create/files.js';
import { demoFeatures, templatePicker } from '../create/gallery.js';
import { OptionsForm, sizeText } from '../create/options_form.js';
import { Preview } from '../create/preview.js';
import { goToCheckout, priceOf, sendRender } from '../create/submit.js';
import { TrimEditor } from '../create/waveform.js';

const settings = pageConfig();
const limits = { maxUploadMb: settings.max_upload_mb, maxImageMb: settings.max_image_mb };
const minLength = settings.min_audio_seconds || 0.5;
const form = $('#create-form');
const fileInput = $('#audio-file');
const fileAlert = $('#file-alert');
const submitAlert = $('#submit-alert');
const submitButton = $('#submit-button');

const state = { file: null, url: null, audio: null, refusal: '', pricing: null, catalog: null, uploading: null, analysing: 0 };
const analyzer = new Analyzer();

const preview = new Preview({
  canvas: $('#preview-canvas'), audio: $('#preview-audio'), player: $('#player'), playButton: $('#play-button'),
  playLabel: $('#play-label'), playIcon: $('#play-icon'), time: $('#preview-time'), status: $('#preview-status'),
}, { onTime: (t) => trim.setPlayhead(t) });

const trim = new TrimEditor({
  box: $('#waveform'), canvas: $('#waveform-canvas'), region: $('#trim-region'), playhead: $('#playhead'),
  startHandle: $('#trim-start-handle'), endHandle: $('#trim-end-handle'),
  startInput: $('#trim-start'), endInput: $('#trim-end'), length: $('#trim-length'),
}, { minLength, onChange: () => { preview.clampToTrim(); analyse(); showPrice(); }, onSeek: (t) => preview.seek(t) });

const options = new OptionsForm({
  formats: $('#format-checks'), resolution: $('#resolution'), previewFormat: $('#preview-format'),
  previewFormatField: $('#preview-format-field'), sizeHint: $('#size-hint'), fps: $('#fps'), title: $('#title'), artist: $('#artist'),
  colors: $('#option-colors'), controls: $('#option-controls'), images: $('#option-images'),
}, { limits, onChange: () => { scheduleRedraw(); showPrice(); } });

const captions = new CaptionsForm({
  input: $('#captions-file'), alert: $('#captions-alert'), style: $('#captions-style'), summary: $('#captions-summary'),
  position: $('#captions-position'), size: $('#captions-size'), color: $('#captions-color'), box: $('#captions-box'),
  remove: $('#captions-remove'),
}, { onChange: () => scheduleRedraw(), audioDuration: () => (state.audio ? state.audio.duration : null) });

// What the preview draws: the format shown, from the trimmed start, with the captions chosen.
function previewConfig() {
  const config = { ...options.config({ forPreview: true }), trim_start: state.audio && !preview.demo ? trim.start : 0 };
  const cues = captions.previewConfig();
  return cues ? { ...config, captions: cues } : config;
}

// -- the preview follows every change -------------------------------------------------------

let redrawQueued = false;
let lastFps = null;
function scheduleRedraw() {
  if (redrawQueued || !options.template) return;
  redrawQueued = true;
  requestAnimationFrame(() => {
    redrawQueued = false;
    const config = previewConfig();
    if (config.fps !== lastFps && state.audio) analyse();
    else preview.update({ config, assets: options.usedImages(options.bitmaps) });
    $('#preview-frame').dataset.aspect = config.size;
  });
}

let analyseTimer = null;
function analyse() {
  clearTimeout(analyseTimer);
  if (!state.audio) return;
  preview.status.textContent = 'Updating the preview…';
  analyseTimer = setTimeout(async () => {
    const { fps } = options.config();
    const [trimStart, trimEnd] = [trim.start, trim.end];
    const started = ++state.analysing;
    try {
      const features = await analyzer.analyze(trimStart, trimEnd, fps);
      if (!features || started !== state.analysing) return;
      lastFps = fps;
      $('#preview-canvas').dataset.analysis = analyzer.worker ? 'worker' : 'page';
      // the settings as they are now: they may have changed while the analysis ran
      await preview.update({ features, config: { ...previewConfig(), trim_start: trimStart },
        assets: options.usedImages(options.bitmaps), trimStart, trimEnd });
    } catch (err) {
      preview.status.textContent = `The preview could not be updated: ${err.message}`;
    }
  }, 120);
}

function showPrice() {
  const line = $('#price-line');
  if (!settings.payments_enabled || !state.pricing || !options.template) { line.hidden = true; return; }
  const seconds = state.audio ? trim.end - trim.start : null;
  const sizes = options.chosenSizes();
  const price = priceOf(state.pricing, sizes, seconds);
  line.hidden = !price;
  const what = sizes.length > 1 ? `${sizes.length} formats (${sizes.map(sizeText).join(', ')})` : sizeText(sizes[0]);
  line.textContent = price ? `Price: ${price} for ${formatTime(seconds, { tenths: true })} in ${what}. You pay on the next page, with Stripe.` : '';
}

// Until a song is chosen the preview shows the template on a sample beat, as a still.
function showSample() {
  const sample = demoFeatures();
  $('#preview').hidden = false;
  preview.update({ features: sample, config: { ...previewConfig(), trim_start: 0 }, demo: true, trimStart: 0, trimEnd: sample.duration })
    .then(() => { if (preview.demo) preview.status.textContent = 'A sample beat until you choose a song: settings show here as you change them.'; });
}

// The song-and-preview column stays in view while the settings scroll, when it fits the window.
function keepStageInView() {
  const stage = $('.create-stage');
  const fit = () => stage.classList.toggle('fits', stage.scrollHeight + 32 <= window.innerHeight);
  new ResizeObserver(fit).observe(stage);
  window.addEventListener('resize', fit);
}

// -- choosing the song ----------------------------------------------------------------------

async function chooseFile(file) {
  clearAlert(fileAlert);
  clearAlert(submitAlert);
  const problem = audioFileProblem(file, limits);
  if (problem) { showMessage(fileAlert, problem); return; }
  state.file = file;
  state.audio = null;
  state.refusal = '';
  if (state.url) URL.revokeObjectURL(state.url);
  state.url = URL.createObjectURL(file);
  preview.reset();
  preview.setSource(state.url);
  $('#dropzone').classList.add('has-file');
  $('#dropzone-title').textContent = 'Drop another song here, or choose another file';
  $('#file-info').hidden = false;
  $('#file-name').textContent = file.name;
  $('#file-details').textContent = formatBytes(file.size);
  $('#file-tags').hidden = true;
  $('#preview').hidden = false;
  $('#trim').hidden = true;
  preview.status.textContent = 'Reading the song…';
  readTags(file).then((tags) => showTags(file, tags));
  try {
    const audio = await decodeAudio(file);
    if (state.file !== file) return;
    state.audio = audio;
  } catch {
    if (state.file !== file) return;
    preview.status.textContent = '';
    $('#preview').hidden = true;
    showMessage(fileAlert, 'Your browser cannot decode this file, so there is no preview and no trimming. You can still send it: the server checks every upload.');
    showPrice();
    return;
  }
  const seconds = state.audio.duration;
  $('#file-details').textContent = `${formatTime(seconds, { tenths: true })} · ${formatBytes(file.size)}`;
  // the server measures the whole file (not the trimmed part) against these limits
  if (seconds > settings.max_audio_seconds) {
    state.refusal = `This song is ${formatTime(seconds)} long; the longest you can upload is ${formatTime(settings.max_audio_seconds)}. Choose a shorter file.`;
  } else if (seconds < minLength) {
    state.refusal = `This song is too short: a video needs at least ${minLength} s of audio.`;
  }
  if (state.refusal) showMessage(fileAlert, state.refusal);
  analyzer.setSamples(state.audio.samples, state.audio.sampleRate);
  $('#trim').hidden = false;
  trim.setAudio(seconds, state.audio.peaks);
  analyse();
  showPrice();
}

function showTags(file, tags) {
  if (state.file !== file || (!tags.title && !tags.artist)) return;
  const line = $('#file-tags');
  line.textContent = `From the file's tags: ${[tags.title, tags.artist].filter(Boolean).join(' — ')}`;
  line.hidden = false;
  let changed = false;
  for (const [input, value] of [[$('#title'), tags.title], [$('#artist'), tags.artist]]) {
    if (value && !input.value) { input.value = value.slice(0, input.maxLength > 0 ? input.maxLength : undefined); changed = true; }
  }
  if (changed) scheduleRedraw();
}

// -- sending it -------------------------------------------------------------------------------

function showUpload(visible) {
  $('#upload-status').hidden = !visible;
  if (!visible) $('#upload-progress').value = 0;
}

async function submit() {
  clearAlert(submitAlert);
  if (!state.file || state.refusal) {
    showMessage(submitAlert, state.refusal || 'Choose an audio file first.');
    fileInput.focus();
    return;
  }
  const controller = new AbortController();
  state.uploading = controller;
  setBusy(submitButton, true, 'Uploading…');
  showUpload(true);
  const progress = $('#upload-progress'), label = $('#upload-label');
  try {
    const job = await sendRender({
      file: state.file, config: options.config(), trim: state.audio ? { start: trim.start, end: trim.end } : null,
      images: options.usedImages(), signal: controller.signal,
      captions: captions.file ? { file: captions.file, style: captions.styleConfig() } : null,
      onProgress: (loaded, total) => {
        const pct = Math.round((loaded / total) * 100);
        progress.value = pct;
        label.textContent = pct < 100 ? `Uploading: ${pct}%` : 'Uploaded; the server is checking the file…';
      },
    });
    state.uploading = null;
    if (settings.payments_enabled && job.status === 'awaiting_payment') {
      label.textContent = 'Opening the secure checkout…';
      try {
        await goToCheckout(job.id);
      } catch (err) {
        showError(submitAlert, err);
        submitAlert.append(h('p', {}, 'Your upload is saved: ', h('a', { href: `/renders/${job.id}` }, 'pay for it from its page'), '.'));
        setBusy(submitButton, false, 'Uploading…');
      }
      return;
    }
    window.location.assign(`/renders/${job.id}`);
  } catch (err) {
    state.uploading = null;
    showUpload(false);
    setBusy(submitButton, false, 'Uploading…');
    if (err instanceof SessionLost) return;
    if (err.name === 'AbortError') { showMessage(submitAlert, 'The upload was canceled. Nothing was saved.'); return; }
    showError(submitAlert, err, { retry: submit });
    showFieldErrors(form, err);
  }
}

form.addEventListener('submit', (event) => { event.preventDefault(); if (!state.uploading) submit(); });
$('#upload-cancel').addEventListener('click', () => state.uploading && state.uploading.abort());
window.addEventListener('beforeunload', (event) => { if (state.uploading) event.preventDefault(); });
bindAudioPicker({ input: fileInput, zone: $('#dropzone'), onFile: chooseFile });
keepStageInView();

// -- start ------------------------------------------------------------------------------------

async function loadCatalog() {
  try {
    state.catalog = await api('templates', { auth: false });
  } catch (err) {
    showError($('#templates-alert'), err, { retry: loadCatalog });
    return;
  }
  const templates = state.catalog.items;
  options.setCatalog(state.catalog);
  const select = (id) => {
    options.setTemplate(templates.find((t) => t.id === id));
    scheduleRedraw();
  };
  templatePicker($('#template-picker'), templates, { selected: templates[0].id, onSelect: select });
  select(templates[0].id);
  if (!state.file) showSample();
  if (settings.payments_enabled) {
    api('pricing', { auth: false }).then((pricing) => { state.pricing = pricing; showPrice(); }).catch(() => {});
  }
}

await startPage({ auth: 'required' });
await loadCatalog();
