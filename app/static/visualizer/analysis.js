// Browser-side twin of app/rendering/analysis.py, for the live preview: turns decoded samples
// into the same per-frame records the worker computes, so the page draws the same picture.
import { LAYOUT, PackedFeatures } from './features.js';

const BAND_MIN_HZ = 30, BAND_MAX_HZ = 16000;
const SMOOTH = { bandAttack: 0.012, bandRelease: 0.2, rmsAttack: 0.01, rmsRelease: 0.3, pulseDecay: 0.3, onsetPeakDecay: 3, pulseThreshold: 0.45 };

const coef = (tau, fps) => 1 - Math.exp(-1 / (tau * fps));

function fft(re, im) { // in-place iterative radix-2
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) { [re[i], re[j]] = [re[j], re[i]]; [im[i], im[j]] = [im[j], im[i]]; }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = -2 * Math.PI / len, wr = Math.cos(ang), wi = Math.sin(ang);
    for (let i = 0; i < n; i += len) {
      let cr = 1, ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const a = i + k, b = a + len / 2;
        const tr = re[b] * cr - im[b] * ci, ti = re[b] * ci + im[b] * cr;
        re[b] = re[a] - tr; im[b] = im[a] - ti; re[a] += tr; im[a] += ti;
        const ncr = cr * wr - ci * wi; ci = cr * wi + ci * wr; cr = ncr;
      }
    }
  }
}

function bandPlan(sr, nfft) {
  const fmax = Math.min(BAND_MAX_HZ, sr / 2 * 0.95);
  const bins = nfft / 2 + 1;
  const plan = [];
  for (let b = 0; b < LAYOUT.bands; b++) {
    const lo = BAND_MIN_HZ * (fmax / BAND_MIN_HZ) ** (b / LAYOUT.bands);
    const hi = BAND_MIN_HZ * (fmax / BAND_MIN_HZ) ** ((b + 1) / LAYOUT.bands);
    const idx = [];
    for (let k = 0; k < bins; k++) { const f = k * sr / nfft; if (f >= lo && f < hi) idx.push(k); }
    if (!idx.length) idx.push(Math.round(Math.sqrt(lo * hi) * nfft / sr));
    plan.push({ idx, tilt: 3 * Math.log2(Math.sqrt(lo * hi) / 1000) });
  }
  return plan;
}

// samples: mono Float32Array at sampleRate. Returns PackedFeatures for ceil(n*fps/sr) frames.
export function analyzeSamples(samples, sampleRate, fps) {
  const sr = sampleRate, n = samples.length;
  const total = Number((BigInt(n) * BigInt(fps) + BigInt(sr) - 1n) / BigInt(sr)); // ceil(n*fps/sr)
  const nfft = 1 << Math.max(8, Math.ceil(Math.log2(sr * 0.085)));
  const win = new Float32Array(nfft);
  let wsum = 0;
  for (let k = 0; k < nfft; k++) { win[k] = 0.5 - 0.5 * Math.cos(2 * Math.PI * k / (nfft - 1)); wsum += win[k]; }
  const norm = (wsum / 2) ** 2;
  const plan = bandPlan(sr, nfft);
  const buf = new ArrayBuffer(total * LAYOUT.recordSize);
  const dv = new DataView(buf);
  const re = new Float64Array(nfft), im = new Float64Array(nfft);
  const bands = new Float32Array(LAYOUT.bands), prev = new Float32Array(LAYOUT.bands), raw = new Float32Array(LAYOUT.bands);
  const wave = new Float32Array(LAYOUT.wavePoints);
  const bAtt = coef(SMOOTH.bandAttack, fps), bRel = coef(SMOOTH.bandRelease, fps);
  const rAtt = coef(SMOOTH.rmsAttack, fps), rRel = coef(SMOOTH.rmsRelease, fps);
  const pulseKeep = Math.exp(-1 / (SMOOTH.pulseDecay * fps)), peakKeep = Math.exp(-1 / (SMOOTH.onsetPeakDecay * fps));
  let level = 0, onsetPeak = 0.05, pulse = 0, phase = 0;
  const at = (k) => (k >= 0 && k < n ? samples[k] : 0);
  const u16 = (v) => Math.min(65535, Math.max(0, Math.round(v * 65535)));
  for (let i = 0; i < total; i++) {
    const s = Math.floor(i * sr / fps), e = Math.floor((i + 1) * sr / fps);
    const len = Math.max(e - s, 1);
    let sq = 0;
    for (let k = s; k < e; k++) sq += at(k) * at(k);
    const rms = Math.sqrt(sq / len);
    let peak = 1e-9;
    for (let w = 0; w < LAYOUT.wavePoints; w++) {
      const a = s + Math.floor(len * w / LAYOUT.wavePoints), b = s + Math.floor(len * (w + 1) / LAYOUT.wavePoints);
      let acc = 0;
      if (b > a) { for (let k = a; k < b; k++) acc += at(k); acc /= (b - a); } else acc = at(a);
      wave[w] = acc; peak = Math.max(peak, Math.abs(acc));
    }
    const o = i * LAYOUT.recordSize;
    for (let w = 0; w < LAYOUT.wavePoints; w++) dv.setInt8(o + LAYOUT.offWave + w, Math.max(-127, Math.min(127, Math.round(wave[w] / peak * 127))));
    dv.setUint16(o + LAYOUT.offPeak, u16(Math.min(peak, 1)), true);
    const c = Math.floor((s + e) / 2) - nfft / 2;
    for (let k = 0; k < nfft; k++) { re[k] = at(c + k) * win[k]; im[k] = 0; }
    fft(re, im);
    let flux = 0;
    for (let b = 0; b < LAYOUT.bands; b++) {
      const { idx, tilt } = plan[b];
      let p = 0;
      for (const k of idx) p += (re[k] * re[k] + im[k] * im[k]) / norm;
      const db = 10 * Math.log10(p / idx.length + 1e-12) + tilt;
      raw[b] = Math.min(1, Math.max(0, (db + 66) / 56));
      bands[b] += (raw[b] - bands[b]) * (raw[b] > bands[b] ? bAtt : bRel);
      flux += Math.max(raw[b] - prev[b], 0);
      prev[b] = raw[b];
      dv.setUint16(o + LAYOUT.offBands + 2 * b, u16(bands[b]), true);
    }
    flux /= LAYOUT.bands;
    onsetPeak = Math.max(flux, onsetPeak * peakKeep, 0.02);
    const onset = Math.min(flux / onsetPeak, 1);
    const target = Math.min(1, Math.max(0, (20 * Math.log10(rms + 1e-9) + 60) / 60));
    level += (target - level) * (target > level ? rAtt : rRel);
    pulse = Math.max(onset >= SMOOTH.pulseThreshold ? onset : 0, pulse * pulseKeep);
    phase += (0.25 + 1.75 * level) / fps;
    dv.setUint16(o + LAYOUT.offRms, u16(level), true);
    dv.setUint16(o + LAYOUT.offOnset, u16(onset), true);
    dv.setUint16(o + LAYOUT.offPulse, u16(pulse), true);
    dv.setFloat32(o + LAYOUT.offPhase, phase, true);
  }
  return new PackedFeatures({ fps, frameCount: total, duration: n / sr }, { data: buf });
}

// Decode an audio file (File/Blob/ArrayBuffer) in the browser and analyse it.
export async function analyzeAudioFile(fileOrBuffer, fps, { trimStart = 0, trimEnd = null } = {}) {
  const bytes = fileOrBuffer instanceof ArrayBuffer ? fileOrBuffer : await fileOrBuffer.arrayBuffer();
  const ctx = new OfflineAudioContext(1, 1, 44100);
  const audio = await ctx.decodeAudioData(bytes);
  const sr = audio.sampleRate;
  const a = Math.floor(trimStart * sr), b = trimEnd == null ? audio.length : Math.min(audio.length, Math.floor(trimEnd * sr));
  const mono = new Float32Array(Math.max(0, b - a));
  for (let ch = 0; ch < audio.numberOfChannels; ch++) {
    const data = audio.getChannelData(ch);
    for (let k = 0; k < mono.length; k++) mono[k] += data[a + k] / audio.numberOfChannels;
  }
  return analyzeSamples(mono, sr, fps);
}
