// Decoding the chosen song in the browser and analysing the trimmed range for the preview.
// Decoding mirrors analyzeAudioFile() in /static/visualizer/analysis.js (44.1 kHz, channels
// averaged to mono); the analysis itself is that module's analyzeSamples(), run in a module
// worker when the browser has them (every current one), else on the page.
import { toFeatures } from '/static/visualizer/features.js';

export const ANALYSIS_RATE = 44100;
const PEAK_COLUMNS = 2000;

// -> {samples: Float32Array (mono), sampleRate, duration, peaks: {min, max} Float32Arrays}
export async function decodeAudio(file) {
  const context = new OfflineAudioContext(1, 1, ANALYSIS_RATE);
  const audio = await context.decodeAudioData(await file.arrayBuffer());
  const mono = new Float32Array(audio.length);
  for (let ch = 0; ch < audio.numberOfChannels; ch++) {
    const data = audio.getChannelData(ch);
    for (let k = 0; k < mono.length; k++) mono[k] += data[k] / audio.numberOfChannels;
  }
  return { samples: mono, sampleRate: audio.sampleRate, duration: audio.duration, peaks: peaks(mono) };
}

function peaks(samples) {
  const columns = Math.max(1, Math.min(PEAK_COLUMNS, samples.length));
  const min = new Float32Array(columns), max = new Float32Array(columns);
  const per = samples.length / columns;
  for (let c = 0; c < columns; c++) {
    let lo = 0, hi = 0;
    const end = Math.min(samples.length, Math.floor((c + 1) * per));
    for (let k = Math.floor(c * per); k < end; k++) {
      const v = samples[k];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    min[c] = lo;
    max[c] = hi;
  }
  return { min, max };
}

// Features of [trimStart, trimEnd) at fps; a newer request supersedes older ones (they resolve null).
export class Analyzer {
  constructor() {
    this.latest = 0;
    this.pending = new Map();
    this.samples = null;
    this.sampleRate = 0;
    this.worker = null;
    this.fallback = null;
    try {
      this.worker = new Worker(new URL('./analysis_worker.js', import.meta.url), { type: 'module' });
      this.worker.addEventListener('message', (event) => this.onMessage(event.data));
      this.worker.addEventListener('error', () => this.useFallback());
    } catch {
      this.useFallback();
    }
  }

  useFallback() {
    if (this.worker) this.worker.terminate();
    this.worker = null;
    this.fallback ??= import('/static/visualizer/analysis.js');
    for (const [id, request] of this.pending) this.runOnPage(id, request);
  }

  setSamples(samples, sampleRate) {
    this.samples = samples;
    this.sampleRate = sampleRate;
    if (this.worker) this.worker.postMessage({ type: 'samples', samples, sampleRate });
  }

  analyze(trimStart, trimEnd, fps) {
    const id = ++this.latest;
    for (const [oldId, request] of this.pending) { request.resolve(null); this.pending.delete(oldId); }
    return new Promise((resolve, reject) => {
      const request = { trimStart, trimEnd, fps, resolve, reject };
      this.pending.set(id, request);
      if (this.worker) this.worker.postMessage({ type: 'analyze', id, trimStart, trimEnd, fps });
      else this.runOnPage(id, request);
    });
  }

  async runOnPage(id, request) {
    const { analyzeSamples } = await this.fallback;
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (!this.pending.has(id)) return;
    this.pending.delete(id);
    const a = Math.floor(request.trimStart * this.sampleRate);
    const b = Math.min(this.samples.length, Math.floor(request.trimEnd * this.sampleRate));
    request.resolve(analyzeSamples(this.samples.subarray(a, Math.max(a, b)), this.sampleRate, request.fps));
  }

  onMessage(message) {
    if (message.type === 'ready') return;
    const request = this.pending.get(message.id);
    if (!request) return;
    this.pending.delete(message.id);
    if (message.error) request.reject(new Error(message.error));
    else request.resolve(toFeatures(message.packed));
  }
}
