// Per-frame audio features in the binary layout written by app/rendering/analysis.py.
// The drawing code only calls `features.frame(i)`, so features can come from the worker
// (fetched in chunks) or from the browser's own analysis (analysis.js) alike.

export const LAYOUT = Object.freeze({
  recordSize: 400, bands: 64, wavePoints: 256,
  offBands: 0, offWave: 128, offPeak: 384, offRms: 386, offOnset: 388, offPulse: 390, offPhase: 392,
});

const U16 = 1 / 65535;

export class PackedFeatures {
  // header: {fps, frameCount, duration?}; source: {data: ArrayBuffer} (everything in memory)
  // or {fetchChunk: async (start, end) => ArrayBuffer} (records [start, end), loaded on demand).
  constructor(header, { data = null, fetchChunk = null, chunkFrames = 512 } = {}) {
    this.fps = header.fps;
    this.frameCount = header.frameCount;
    this.duration = header.duration ?? header.frameCount / header.fps;
    this.chunkFrames = chunkFrames;
    this._fetchChunk = fetchChunk;
    this._chunks = new Map(); // chunk index -> DataView
    this._pending = new Map();
    if (data) {
      this._all = new DataView(data instanceof ArrayBuffer ? data : data.buffer, data.byteOffset ?? 0, data.byteLength);
      if (this._all.byteLength < this.frameCount * LAYOUT.recordSize) throw new Error('feature data too short');
    }
  }

  // Make sure frames [start, end) are in memory (no-op for in-memory data).
  async ensure(start, end) {
    if (this._all) return;
    const first = Math.floor(Math.max(0, start) / this.chunkFrames);
    const last = Math.floor((Math.min(end, this.frameCount) - 1) / this.chunkFrames);
    const loads = [];
    for (let c = first; c <= last; c++) loads.push(this._load(c));
    await Promise.all(loads);
  }

  // Forget chunks that end before frame `frame` (keeps memory flat on long renders).
  release(frame) {
    for (const c of [...this._chunks.keys()]) if ((c + 1) * this.chunkFrames <= frame) this._chunks.delete(c);
  }

  _load(c) {
    if (this._chunks.has(c)) return Promise.resolve();
    if (!this._pending.has(c)) {
      const start = c * this.chunkFrames, end = Math.min(this.frameCount, start + this.chunkFrames);
      const p = this._fetchChunk(start, end).then((buf) => {
        if (buf.byteLength < (end - start) * LAYOUT.recordSize) throw new Error(`feature chunk ${c} too short`);
        this._chunks.set(c, new DataView(buf));
        this._pending.delete(c);
      });
      this._pending.set(c, p);
    }
    return this._pending.get(c);
  }

  _view(i) {
    if (this._all) return [this._all, i * LAYOUT.recordSize];
    const c = Math.floor(i / this.chunkFrames);
    const view = this._chunks.get(c);
    if (!view) throw new Error(`features for frame ${i} are not loaded`);
    return [view, (i - c * this.chunkFrames) * LAYOUT.recordSize];
  }

  // An in-memory instance as {header, data} (what toFeatures() takes), e.g. to post it from a
  // worker thread to the page; `data` is the records' ArrayBuffer, transferable.
  packed() {
    if (!this._all) throw new Error('only in-memory features can be packed');
    const view = this._all;
    const data = view.byteOffset === 0 && view.byteLength === view.buffer.byteLength
      ? view.buffer : view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength);
    return { header: { fps: this.fps, frameCount: this.frameCount, duration: this.duration }, data };
  }

  // Features of frame i (clamped to the valid range) as plain numbers in 0..1 (wave in -1..1).
  frame(i) {
    const n = this.frameCount;
    const k = Math.min(Math.max(0, Math.floor(i)), n - 1);
    const out = emptyFrame(k, this.fps);
    if (n <= 0) return out;
    const [dv, o] = this._view(k);
    for (let b = 0; b < LAYOUT.bands; b++) out.bands[b] = dv.getUint16(o + LAYOUT.offBands + 2 * b, true) * U16;
    const peak = dv.getUint16(o + LAYOUT.offPeak, true) * U16;
    for (let w = 0; w < LAYOUT.wavePoints; w++) out.wave[w] = (dv.getInt8(o + LAYOUT.offWave + w) / 127) * peak;
    out.rms = dv.getUint16(o + LAYOUT.offRms, true) * U16;
    out.onset = dv.getUint16(o + LAYOUT.offOnset, true) * U16;
    out.pulse = dv.getUint16(o + LAYOUT.offPulse, true) * U16;
    out.phase = dv.getFloat32(o + LAYOUT.offPhase, true);
    summarize(out);
    return out;
  }
}

export function emptyFrame(i, fps) {
  return {
    index: i, time: i / fps, bands: new Float32Array(LAYOUT.bands), wave: new Float32Array(LAYOUT.wavePoints),
    rms: 0, onset: 0, pulse: 0, phase: i / fps * 0.25, bass: 0, mid: 0, treble: 0,
  };
}

function mean(arr, a, b) {
  let s = 0;
  for (let k = a; k < b; k++) s += arr[k];
  return s / (b - a);
}

function summarize(f) {
  f.bass = mean(f.bands, 0, 12);
  f.mid = mean(f.bands, 12, 40);
  f.treble = mean(f.bands, 40, LAYOUT.bands);
}

// Accept what init() may be given: a PackedFeatures (or anything with frame(i)),
// or {header, data} where data is an ArrayBuffer / typed array / base64 string.
export function toFeatures(features) {
  if (features && typeof features.frame === 'function') return features;
  if (features && features.header && features.data !== undefined) {
    let data = features.data;
    if (typeof data === 'string') data = base64ToBytes(data);
    return new PackedFeatures(features.header, { data });
  }
  throw new TypeError('init(config, features): features must have frame(i) or be {header, data}');
}

export function base64ToBytes(b64) {
  if (Uint8Array.fromBase64) return Uint8Array.fromBase64(b64);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
