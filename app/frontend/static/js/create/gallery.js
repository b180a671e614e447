// The template gallery: one card per template, each with a moving thumbnail drawn by the very
// visualizer the worker renders with, fed with a few seconds of synthetic music analysed by the
// same browser analysis the preview uses. Thumbnails only move while on screen, and not at all
// for people who prefer reduced motion.
import { analyzeSamples } from '/static/visualizer/analysis.js';
import { createVisualizer } from '/static/visualizer/visualizer.js';
import { h } from '../dom.js';

const RATE = 22050;
const SECONDS = 4;
const FPS = 30;
export const THUMB_SIZE = '320x180';

let features = null;

// Four seconds of "music": a kick on every beat, an off-beat hat, a chord that swells, an arpeggio.
function demoSamples() {
  const n = RATE * SECONDS;
  const out = new Float32Array(n);
  let seed = 12345;
  const noise = () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed / 2 ** 31 - 1; };
  const notes = [440, 554.37, 659.25, 880];
  for (let i = 0; i < n; i++) {
    const t = i / RATE;
    const beat = t % 0.5;
    const kick = 0.7 * Math.sin(2 * Math.PI * (45 + 90 * Math.exp(-25 * beat)) * t) * Math.exp(-8 * beat);
    const hat = 0.15 * noise() * Math.exp(-40 * ((t + 0.25) % 0.5));
    const swell = 0.6 + 0.4 * Math.sin(2 * Math.PI * 0.25 * t);
    const chord = 0.07 * swell * (Math.sin(2 * Math.PI * 220 * t) + Math.sin(2 * Math.PI * 277.18 * t) + Math.sin(2 * Math.PI * 329.63 * t));
    const step = (t * 4) % 1;
    const lead = 0.12 * Math.sin(2 * Math.PI * notes[Math.floor(t * 4) % 4] * t) * Math.exp(-5 * step);
    out[i] = kick + hat + chord + lead;
  }
  return out;
}

export function demoFeatures() {
  features ??= analyzeSamples(demoSamples(), RATE, FPS);
  return features;
}

// Draws every registered thumbnail that is on screen, one shared animation loop.
class ThumbnailPlayer {
  constructor() {
    this.items = new Map(); // canvas -> {visualizer, visible}
    this.reduced = window.matchMedia('(prefers-reduced-motion: reduce)');
    this.observer = 'IntersectionObserver' in window
      ? new IntersectionObserver((entries) => this.onVisibility(entries), { rootMargin: '64px' })
      : null;
    this.start = performance.now();
    this.frame = null;
    document.addEventListener('visibilitychange', () => this.schedule());
  }

  async add(canvas, config) {
    const visualizer = await createVisualizer(canvas, config, demoFeatures());
    const item = { visualizer, visible: !this.observer };
    this.items.set(canvas, item);
    visualizer.renderFrame(Math.floor(visualizer.frameCount * 0.4));
    if (this.observer) this.observer.observe(canvas);
    this.schedule();
  }

  onVisibility(entries) {
    for (const entry of entries) {
      const item = this.items.get(entry.target);
      if (item) item.visible = entry.isIntersecting;
    }
    this.schedule();
  }

  schedule() {
    const anyVisible = [...this.items.values()].some((item) => item.visible);
    if (this.frame === null && anyVisible && !this.reduced.matches && document.visibilityState === 'visible') {
      this.frame = requestAnimationFrame((now) => this.tick(now));
    }
  }

  tick(now) {
    this.frame = null;
    const index = Math.floor(((now - this.start) / 1000) * FPS);
    for (const item of this.items.values()) {
      if (item.visible) item.visualizer.renderFrame(index % item.visualizer.frameCount);
    }
    this.schedule();
  }
}

let player = null;

function thumbnail(template) {
  const canvas = h('canvas', { class: 'template-thumb', width: 320, height: 180, 'aria-hidden': 'true' });
  player ??= new ThumbnailPlayer();
  player.add(canvas, { template: template.id, size: THUMB_SIZE, fps: FPS, title: '', artist: '', options: { ...template.defaults } })
    .catch(() => { canvas.classList.add('template-thumb-failed'); });
  return canvas;
}

// Cards to choose a template from (radio buttons: arrow keys move between them).
export function templatePicker(container, templates, { selected, onSelect }) {
  container.replaceChildren(...templates.map((template) => {
    const input = h('input', {
      type: 'radio', name: 'template', value: template.id, id: `template-${template.id}`, class: 'template-radio',
      checked: template.id === selected, 'aria-describedby': `template-${template.id}-desc`,
      onChange: () => onSelect(template.id),
    });
    return h('div', { class: 'template-card' },
      input,
      h('label', { for: input.id },
        thumbnail(template),
        h('span', { class: 'template-name' }, template.name),
        h('span', { class: 'template-desc', id: `template-${template.id}-desc` }, template.description)));
  }));
}

// The same thumbnails as a showcase (landing page).
export function templateShowcase(container, templates) {
  container.replaceChildren(...templates.map((template) => h('figure', { class: 'template-card showcase' },
    thumbnail(template),
    h('figcaption', {}, h('span', { class: 'template-name' }, template.name),
      h('span', { class: 'template-desc' }, template.description)))));
}
