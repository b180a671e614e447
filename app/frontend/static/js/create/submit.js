// Sending the render: the upload (with progress), then Stripe Checkout or the job page.
import { api, upload } from '../api.js';
import { formatMoney } from '../dom.js';

const round = (value) => Math.round(value * 1000) / 1000;

// POST /renders: the audio, the config (JSON) and the images the template uses.
export function sendRender({ file, config, trim, images, onProgress, signal }) {
  const body = { ...config };
  if (trim) {
    body.trim_start = round(trim.start);
    body.trim_end = round(trim.end);
  }
  const form = new FormData();
  form.append('audio', file, file.name);
  form.append('config', JSON.stringify(body));
  for (const [name, image] of Object.entries(images)) form.append(name, image, image.name);
  return upload('renders', form, { onProgress, signal });
}

// Send the person to Stripe Checkout for this job (it returns to /renders/<id>?checkout=...).
export async function goToCheckout(jobId) {
  const answer = await api(`renders/${jobId}/checkout`, { method: 'POST' });
  window.location.assign(answer.checkout_url);
}

// The price GET /pricing quotes for `seconds` of audio at `size` ("1920x1080"), or null.
export function priceOf(pricing, size, seconds) {
  if (!pricing || !size || !Number.isFinite(seconds)) return null;
  const resolution = Math.min(...size.split('x').map(Number)) > 720 ? '1080p' : '720p';
  const band = pricing.bands.find((b) => seconds <= b.max_audio_seconds);
  if (!band || band.prices[resolution] === undefined) return null;
  return formatMoney(band.prices[resolution], pricing.currency);
}
