// The live preview: the worker's own visualizer (createVisualizer from /static/visualizer/)
// drawing, at the video's real size, the frame the <audio> element is playing. Frame i of the
// video covers the trimmed audio from trim_start + i/fps, so that is the frame drawn here.
import { createVisualizer } from '/static/visualizer/visualizer.js';
import { formatTime } from '../dom.js';

export class Preview {
  // elements: {canvas, audio, player, playButton, playLabel, playIcon, time, status}
  constructor(elements, { onTime = () => {} } = {}) {
    Object.assign(this, elements);
    this.onTime = onTime;
    this.visualizer = null;
    this.features = null;
    this.config = null;
    this.assets = {};
    this.trimStart = 0;
    this.trimEnd = 0;
    this.demo = false; // sample features until a song is chosen: a still frame, no player
    this.building = 0;
    this.frame = null;
    this.playButton.addEventListener('click', () => this.toggle());
    this.audio.addEventListener('play', () => this.loop());
    this.audio.addEventListener('pause', () => this.showPlaying(false));
    this.audio.addEventListener('ended', () => this.stopAtEnd());
    this.audio.addEventListener('seeked', () => this.draw());
  }

  setSource(url) {
    this.audio.pause();
    this.audio.src = url;
    this.audio.load();
  }

  get playing() { return !this.audio.paused && !this.audio.ended; }

  // New features (after a trim or fps change) and/or a new config or images: rebuild and redraw.
  async update({ features = this.features, config = this.config, assets = this.assets, trimStart = this.trimStart, trimEnd = this.trimEnd, demo = this.demo }) {
    Object.assign(this, { features, config, assets, trimStart, trimEnd, demo });
    this.player.hidden = demo;
    if (!features || !config) return;
    const ticket = ++this.building;
    try {
      const visualizer = await createVisualizer(this.canvas, config, features, { assets });
      if (ticket !== this.building) return;
      this.visualizer = visualizer;
      this.status.textContent = '';
      this.canvas.dataset.ready = 'true';
      this.draw();
    } catch (err) {
      if (ticket === this.building) this.status.textContent = `The preview cannot be drawn: ${err.message}`;
    }
  }

  frameIndex() {
    const fps = this.config ? this.config.fps : 30;
    const frames = this.visualizer ? this.visualizer.frameCount : 1;
    if (this.demo) return Math.floor(frames * 0.4);
    return Math.min(frames - 1, Math.max(0, Math.floor((this.audio.currentTime - this.trimStart) * fps)));
  }

  draw() {
    const t = this.audio.currentTime;
    this.time.textContent = `${formatTime(Math.max(0, t - this.trimStart), { tenths: true })} / ${formatTime(this.trimEnd - this.trimStart, { tenths: true })}`;
    this.onTime(t);
    if (this.visualizer) this.visualizer.renderFrame(this.frameIndex());
  }

  loop() {
    this.showPlaying(true);
    cancelAnimationFrame(this.frame);
    const step = () => {
      if (!this.playing) return;
      if (this.audio.currentTime >= this.trimEnd) { this.stopAtEnd(); return; }
      this.draw();
      this.frame = requestAnimationFrame(step);
    };
    step();
  }

  async toggle() {
    if (this.playing) { this.audio.pause(); return; }
    if (this.audio.currentTime < this.trimStart || this.audio.currentTime >= this.trimEnd - 0.02) this.audio.currentTime = this.trimStart;
    try {
      await this.audio.play();
    } catch (err) {
      this.status.textContent = `The browser could not play this file: ${err.message}`;
    }
  }

  stopAtEnd() {
    this.audio.pause();
    this.audio.currentTime = this.trimStart;
    this.showPlaying(false);
    this.draw();
  }

  seek(time) {
    this.audio.currentTime = Math.min(Math.max(time, this.trimStart), this.trimEnd);
    this.draw();
  }

  // Keep the playhead inside a new trim range.
  clampToTrim() {
    if (this.audio.currentTime < this.trimStart || this.audio.currentTime > this.trimEnd) this.audio.currentTime = this.trimStart;
  }

  showPlaying(playing) {
    this.playLabel.textContent = playing ? 'Pause preview' : 'Play preview';
    this.playIcon.setAttribute('href', `/assets/icons/icons.svg#${playing ? 'pause' : 'play'}`);
  }

  reset() {
    this.audio.pause();
    this.visualizer = null;
    this.features = null;
    this.demo = false;
    this.building += 1;
    delete this.canvas.dataset.ready;
  }
}
