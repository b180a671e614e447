// Sending the render: the upload (with progress), then Stripe Checkout or the job page.
import { api, upload } from '../api.js';
import { formatMoney } from '../dom.js';

const round = (value) => Math.round(value * 1000) / 1000;

// POST /renders: the audio, the config (JSON), the images the template uses and the caption
// file (its style in config.captions; the server reads the cues from the file).
export function sendRender({ file, config, trim, images, captions, onProgress, signal }) {
  const body = { ...config };
  if (trim) {
    body.trim_start = round(trim.start);
    body.trim_end = round(trim.end);
  }
  if (captions) body.captions = captions.style;
  const form = new FormData();
  form.append('audio', file, file.name);
  form.append('config', JSON.stringify(body));
  for (const [name, image] of Object.entries(images)) form.append(name, image, image.name);
  if (captions) form.append('captions', captions.file, captions.file.name);
  return upload('renders', form, { onProgress, signal });
}

// Send the person to Stripe Checkout for this job (it returns to /renders/<id>?checkout=...).
export async function goToCheckout(jobId) {
  const answer = await api(`renders/${jobId}/checkout`, { method: 'POST' });
  window.location.assign(answer.checkout_url);
}

// The price GET /pricing quotes for `seconds` of audio in `sizes` (["1920x1080", ...]: each
// format is priced on its own, one payment for all), or null.
export function priceOf(pricing, sizes, seconds) {
  const list = Array.isArray(sizes) ? sizes : [sizes];
  if (!pricing || !list.length || !list[0] || !Number.isFinite(seconds)) return null;
  const band = pricing.bands.find((b) => seconds <= b.max_audio_seconds);
  if (!band) return null;
  let total = 0;
  for (const size of list) {
    const resolution = Math.min(...size.split('x').map(Number)) > 720 ? '1080p' : '720p';
    if (band.prices[resolution] === undefined) return null;
    total += band.prices[resolution];
  }
  return formatMoney(total, pricing.currency);
}
