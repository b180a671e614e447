// Capture driver used by the worker (app/rendering/capture.py) through Playwright.
// Draws frames with the visualizer and hands the worker encoded bytes in batches:
//  - 'webcodecs': H.264 encoded in the page by VideoEncoder (Annex B), muxed by FFmpeg with -c:v copy;
//  - 'jpeg' / 'png': canvas images that FFmpeg encodes (the universal fallback; png is lossless).
// The drawing code (visualizer.js) knows nothing about this file.
import { PackedFeatures } from './features.js';
import { createVisualizer } from './visualizer.js';

const MAX_PENDING_BYTES = 48 * 1024 * 1024;
const MAX_ENCODE_QUEUE = 3;
const MAX_IMAGES_IN_FLIGHT = 3;

const state = {
  vis: null, features: null, mode: null, codec: null, encoder: null, options: null,
  pending: [], pendingBytes: 0, pendingFrames: 0, framesDone: 0, framesSubmitted: 0, done: false, error: null,
  stopped: false, listeners: [],
};

function notify() {
  const ls = state.listeners;
  state.listeners = [];
  for (const resolve of ls) resolve();
}

function changed(timeoutMs) {
  return new Promise((resolve) => {
    state.listeners.push(resolve);
    if (timeoutMs != null) setTimeout(resolve, timeoutMs);
  });
}

function fail(err) {
  state.error = String((err && (err.stack || err.message)) || err);
  notify();
}

async function pickCodec(width, height, fps, codecs, bitrate) {
  if (typeof VideoEncoder !== 'function' || typeof VideoFrame !== 'function') return [null, 'VideoEncoder is not available'];
  for (const codec of codecs) {
    const config = { codec, width, height, bitrate, framerate: fps, bitrateMode: 'variable', latencyMode: 'quality', avc: { format: 'annexb' } };
    try {
      const support = await VideoEncoder.isConfigSupported(config);
      if (support.supported) return [config, null];
    } catch (e) { /* try the next codec */ }
  }
  return [null, `no supported H.264 configuration among ${codecs.join(', ')}`];
}

// opts: {config, features: {header, url}, assets: {name: url}, mode: 'auto'|'webcodecs'|'jpeg'|'png',
//        codecs: [...], bitrate, keyInterval, jpegQuality}
async function setup(opts) {
  const { config, features, assets = {} } = opts;
  const [W, H] = String(config.size).split('x').map(Number);
  const fps = features.header.fps;
  let mode = opts.mode || 'auto', reason = null, encoderConfig = null;
  if (mode === 'auto' || mode === 'webcodecs') {
    [encoderConfig, reason] = await pickCodec(W, H, fps, opts.codecs || ['avc1.640028'], opts.bitrate);
    if (!encoderConfig && mode === 'webcodecs') throw new Error(`WebCodecs H.264 unavailable: ${reason}`);
    mode = encoderConfig ? 'webcodecs' : 'jpeg';
  }
  const fetchChunk = async (start, end) => {
    const res = await fetch(`${features.url}?start=${start}&end=${end}`);
    if (!res.ok) throw new Error(`features ${start}-${end}: HTTP ${res.status}`);
    return res.arrayBuffer();
  };
  state.features = new PackedFeatures(features.header, { fetchChunk, chunkFrames: features.chunkFrames || 512 });
  // An OffscreenCanvas: nothing is composited on screen, and each finished frame is handed to the
  // encoder with transferToImageBitmap() (no copy of the pixels on the page's thread).
  const canvas = new OffscreenCanvas(W, H);
  state.vis = await createVisualizer(canvas, config, state.features, {
    assets, outputRange: mode === 'webcodecs' ? 'limited' : 'full',
  });
  Object.assign(state, { mode, options: opts, codec: encoderConfig && encoderConfig.codec, encoderConfig });
  return { mode, codec: state.codec, reason, width: W, height: H, fps, frameCount: state.features.frameCount };
}

function push(bytes) {
  state.pending.push(bytes);
  state.pendingBytes += bytes.byteLength;
  state.pendingFrames += 1;
  state.framesDone += 1;
  notify();
}

async function backpressure() {
  while (state.pendingBytes > MAX_PENDING_BYTES && !state.stopped) await changed();
}

async function produce(start, end) {
  const { vis, features, options } = state;
  const fps = features.fps;
  const prefetch = features.chunkFrames;
  const blobType = state.mode === 'png' ? 'image/png' : 'image/jpeg';
  const quality = options.jpegQuality ?? 0.92;
  const keyInterval = options.keyInterval || fps * 2;
  const inflight = [];
  let encoder = null;
  if (state.mode === 'webcodecs') {
    encoder = new VideoEncoder({
      output: (chunk) => { const b = new Uint8Array(chunk.byteLength); chunk.copyTo(b); push(b); },
      error: fail,
    });
    encoder.configure(state.encoderConfig);
    state.encoder = encoder;
  }
  const canvas = vis.canvas;
  await features.ensure(start, Math.min(end, start + prefetch));
  let next = null;
  for (let i = start; i < end; i++) {
    if (state.stopped || state.error) return;
    if ((i - start) % prefetch === 0) {
      await (next || features.ensure(i, Math.min(end, i + prefetch)));
      features.release(i);
      const ahead = i + prefetch;
      next = ahead < end ? features.ensure(ahead, Math.min(end, ahead + prefetch)) : null;
    }
    vis.renderFrame(i);
    state.framesSubmitted += 1;
    if (encoder) {
      const bitmap = canvas.transferToImageBitmap();
      const frame = new VideoFrame(bitmap, { timestamp: Math.round(((i - start) * 1e6) / fps), duration: Math.round(1e6 / fps), alpha: 'discard' });
      encoder.encode(frame, { keyFrame: (i - start) % keyInterval === 0 });
      frame.close();
      bitmap.close();
      while (encoder.encodeQueueSize > MAX_ENCODE_QUEUE && !state.error) {
        await new Promise((resolve) => encoder.addEventListener('dequeue', resolve, { once: true }));
      }
    } else {
      inflight.push(canvas.convertToBlob({ type: blobType, quality }));
      if (inflight.length >= MAX_IMAGES_IN_FLIGHT) push(new Uint8Array(await (await inflight.shift()).arrayBuffer()));
    }
    await backpressure();
  }
  if (encoder) {
    await encoder.flush();
    encoder.close();
    state.encoder = null;
  }
  while (inflight.length) push(new Uint8Array(await (await inflight.shift()).arrayBuffer()));
  state.done = true;
  notify();
}

function start(startFrame, endFrame) {
  Object.assign(state, { pending: [], pendingBytes: 0, pendingFrames: 0, framesDone: 0, framesSubmitted: 0, done: false, error: null, stopped: false });
  produce(startFrame, endFrame).catch(fail);
  return true;
}

async function toBase64(parts, total) {
  const bytes = new Uint8Array(total);
  let o = 0;
  for (const p of parts) { bytes.set(p, o); o += p.byteLength; }
  if (bytes.toBase64) return bytes.toBase64();
  const url = await new Promise((resolve) => { const r = new FileReader(); r.onload = () => resolve(r.result); r.readAsDataURL(new Blob([bytes])); });
  return url.slice(url.indexOf(',') + 1);
}

// Wait until minFrames frames are ready (or the range is done, or maxWaitMs passed), then hand
// over everything produced so far. Fewer, larger batches keep the round trips cheap.
async function take(maxWaitMs = 250, minFrames = 1) {
  const until = performance.now() + maxWaitMs;
  while (state.pendingFrames < minFrames && !state.done && !state.error) {
    const left = until - performance.now();
    if (left <= 0) break;
    await changed(left);
  }
  const parts = state.pending, total = state.pendingBytes;
  const sizes = parts.map((p) => p.byteLength);
  state.pending = [];
  state.pendingBytes = 0;
  state.pendingFrames = 0;
  notify();
  return {
    data: total ? await toBase64(parts, total) : '', sizes, frames: state.framesDone,
    done: state.done, error: state.error,
  };
}

function stop() {
  state.stopped = true;
  if (state.encoder) { try { state.encoder.close(); } catch (e) { /* already closed */ } }
  notify();
}

// Draw the given frames (in the given order) and return a digest or an image of each.
async function snapshot(frames, kind = 'sha256') {
  const { vis } = state;
  const out = [];
  for (const i of frames) {
    await state.features.ensure(i, i + 1);
    vis.renderFrame(i);
    if (kind === 'sha256') {
      const ctx = vis.canvas.getContext('2d');
      const pixels = ctx.getImageData(0, 0, vis.width, vis.height).data;
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', pixels));
      out.push(Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join(''));
    } else {
      const blob = await vis.canvas.convertToBlob({ type: kind });
      out.push(await toBase64([new Uint8Array(await blob.arrayBuffer())], blob.size));
    }
  }
  return out;
}

window.wfCapture = { setup, start, take, stop, snapshot, state };
