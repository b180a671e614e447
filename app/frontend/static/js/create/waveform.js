// The song's waveform with two drag handles for the start and end of the video (sliders for the
// keyboard: arrows move 0.1 s, Shift+arrows 1 s, PageUp/PageDown 10 s, Home/End to the limits),
// numeric fields mirroring them, and a playhead. Clicking the waveform moves the playhead.
import { formatTime } from '../dom.js';

const STEP = 0.1, BIG_STEP = 1, PAGE_STEP = 10;

export class TrimEditor {
  // elements: {box, canvas, region, playhead, startHandle, endHandle, startInput, endInput, length}
  constructor(elements, { minLength, onChange, onSeek }) {
    Object.assign(this, elements);
    this.minLength = minLength;
    this.onChange = onChange;
    this.onSeek = onSeek;
    this.duration = 0;
    this.start = 0;
    this.end = 0;
    this.peaks = null;
    this.bindHandle(this.startHandle, 'start');
    this.bindHandle(this.endHandle, 'end');
    this.bindInput(this.startInput, 'start');
    this.bindInput(this.endInput, 'end');
    this.box.addEventListener('pointerdown', (event) => {
      if (event.target === this.startHandle || event.target === this.endHandle) return;
      this.onSeek(this.timeAt(event.clientX));
    });
    new ResizeObserver(() => this.draw()).observe(this.box);
  }

  setAudio(duration, peaks) {
    this.duration = duration;
    this.peaks = peaks;
    this.start = 0;
    this.end = duration;
    for (const input of [this.startInput, this.endInput]) input.max = duration.toFixed(2);
    this.update(false);
    this.draw();
  }

  timeAt(clientX) {
    const rect = this.box.getBoundingClientRect();
    return Math.min(1, Math.max(0, (clientX - rect.left) / rect.width)) * this.duration;
  }

  // Move one edge, keeping at least minLength between them and both inside the song.
  set(which, value, notify = true) {
    const v = Math.round(Math.max(0, Math.min(this.duration, Number(value) || 0)) * 100) / 100;
    if (which === 'start') this.start = Math.min(v, Math.max(0, this.end - this.minLength));
    else this.end = Math.max(v, Math.min(this.duration, this.start + this.minLength));
    this.update(notify);
  }

  update(notify) {
    const pct = (t) => `${this.duration ? (t / this.duration) * 100 : 0}%`;
    this.startHandle.style.left = pct(this.start);
    this.endHandle.style.left = pct(this.end);
    this.region.style.left = pct(this.start);
    this.region.style.width = `${this.duration ? ((this.end - this.start) / this.duration) * 100 : 0}%`;
    for (const [handle, value, label] of [[this.startHandle, this.start, 'Start'], [this.endHandle, this.end, 'End']]) {
      handle.setAttribute('aria-valuemin', '0');
      handle.setAttribute('aria-valuemax', this.duration.toFixed(2));
      handle.setAttribute('aria-valuenow', value.toFixed(2));
      handle.setAttribute('aria-valuetext', `${label} at ${formatTime(value, { tenths: true })}`);
    }
    if (document.activeElement !== this.startInput) this.startInput.value = this.start.toFixed(2);
    if (document.activeElement !== this.endInput) this.endInput.value = this.end.toFixed(2);
    this.length.textContent = formatTime(this.end - this.start, { tenths: true });
    this.draw();
    if (notify) this.onChange(this.start, this.end);
  }

  setPlayhead(time) {
    this.playhead.style.left = `${this.duration ? (Math.min(time, this.duration) / this.duration) * 100 : 0}%`;
  }

  bindHandle(handle, which) {
    handle.addEventListener('pointerdown', (event) => {
      event.preventDefault();
      handle.setPointerCapture(event.pointerId);
      handle.focus();
      handle.classList.add('dragging');
    });
    handle.addEventListener('pointermove', (event) => {
      if (handle.hasPointerCapture(event.pointerId)) this.set(which, this.timeAt(event.clientX), false);
    });
    const release = (event) => {
      if (!handle.hasPointerCapture(event.pointerId)) return;
      handle.releasePointerCapture(event.pointerId);
      handle.classList.remove('dragging');
      this.update(true);
    };
    handle.addEventListener('pointerup', release);
    handle.addEventListener('pointercancel', release);
    handle.addEventListener('keydown', (event) => {
      const current = which === 'start' ? this.start : this.end;
      const step = event.shiftKey ? BIG_STEP : STEP;
      const moves = {
        ArrowLeft: current - step, ArrowDown: current - step, ArrowRight: current + step, ArrowUp: current + step,
        PageDown: current - PAGE_STEP, PageUp: current + PAGE_STEP, Home: 0, End: this.duration,
      };
      if (!(event.key in moves)) return;
      event.preventDefault();
      this.set(which, moves[event.key]);
    });
  }

  bindInput(input, which) {
    input.addEventListener('change', () => {
      const value = Number.parseFloat(input.value);
      if (Number.isFinite(value)) this.set(which, value);
      input.value = (which === 'start' ? this.start : this.end).toFixed(2);
    });
  }

  draw() {
    const canvas = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(canvas.clientWidth * ratio));
    const height = Math.max(1, Math.round(canvas.clientHeight * ratio));
    if (canvas.width !== width || canvas.height !== height) { canvas.width = width; canvas.height = height; }
    const ctx = canvas.getContext('2d');
    ctx.clearRect(0, 0, width, height);
    if (!this.peaks || !this.duration) return;
    const { min, max } = this.peaks;
    const mid = height / 2;
    const startX = (this.start / this.duration) * width, endX = (this.end / this.duration) * width;
    for (let x = 0; x < width; x++) {
      const c = Math.min(min.length - 1, Math.floor((x / width) * min.length));
      const top = mid - Math.max(0.01, max[c]) * mid * 0.95, bottom = mid - Math.min(-0.01, min[c]) * mid * 0.95;
      ctx.fillStyle = x >= startX && x <= endX ? '#5ee7ff' : '#4a5275';
      ctx.fillRect(x, top, 1, Math.max(1, bottom - top));
    }
  }
}
