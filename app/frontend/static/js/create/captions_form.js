// Captions on the create page: an SRT or WebVTT file read by the server's own parser
// (POST /captions/parse, so the page and the render agree on every cue), its cues drawn in the
// live preview with the style chosen here, and the file sent with the render.
import { ApiError, SessionLost, upload } from '../api.js';
import { clearAlert, showError, showMessage } from '../alerts.js';
import { setFieldError } from '../forms.js';

const MAX_BYTES = 512 * 1024;
const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

export class CaptionsForm {
  // elements: {input, alert, style, summary, position, size, color, box, remove}
  constructor(elements, { onChange, audioDuration = () => null }) {
    Object.assign(this, elements);
    this.onChange = onChange;
    this.audioDuration = audioDuration;
    this.file = null;
    this.cues = null;
    this.reading = 0;
    this.input.addEventListener('change', () => this.choose(this.input.files && this.input.files[0]));
    for (const control of [this.position, this.size, this.color, this.box]) {
      control.addEventListener('input', () => this.onChange());
      control.addEventListener('change', () => this.onChange());
    }
    this.remove.addEventListener('click', () => { this.clear(); this.input.focus(); });
  }

  async choose(file) {
    clearAlert(this.alert);
    setFieldError(this.input, '');
    this.input.removeAttribute('aria-invalid');
    if (!file) return;
    if (!/\.(srt|vtt)$/i.test(file.name)) {
      this.refuse(`"${file.name}" is not a caption file: choose an .srt or .vtt file.`);
      return;
    }
    if (file.size > MAX_BYTES) {
      this.refuse(`"${file.name}" is larger than ${MAX_BYTES / 1024} KB, the most a caption file may be.`);
      return;
    }
    const ticket = ++this.reading;
    const form = new FormData();
    form.append('captions', file, file.name);
    const duration = this.audioDuration();
    if (duration) form.append('duration', String(duration));
    try {
      const answer = await upload('captions/parse', form);
      if (ticket !== this.reading) return;
      this.file = file;
      this.cues = answer.cues;
      this.summary.textContent = `${plural(answer.cues.length, 'caption')} from ${file.name}.`;
      this.style.hidden = false;
      this.onChange();
    } catch (err) {
      if (ticket !== this.reading || err instanceof SessionLost) return;
      this.clear({ keepAlert: true });
      if (err instanceof ApiError && err.status < 500) {
        showMessage(this.alert, `${file.name}: ${err.message}`);
        this.input.setAttribute('aria-invalid', 'true'); // the alert above says why
      } else {
        showError(this.alert, err, { retry: () => this.choose(file) });
      }
    }
  }

  refuse(message) {
    this.clear({ keepAlert: true });
    showMessage(this.alert, message);
  }

  clear({ keepAlert = false } = {}) {
    const had = this.cues !== null;
    this.reading += 1;
    this.file = null;
    this.cues = null;
    this.input.value = '';
    this.style.hidden = true;
    if (!keepAlert) { clearAlert(this.alert); setFieldError(this.input, ''); this.input.removeAttribute('aria-invalid'); }
    if (had) this.onChange();
  }

  styleConfig() {
    return { position: this.position.value, size: this.size.value, color: this.color.value, background: this.box.checked };
  }

  // config.captions for the preview (with the cues), or null without captions.
  previewConfig() {
    return this.cues && this.cues.length ? { ...this.styleConfig(), cues: this.cues } : null;
  }
}
