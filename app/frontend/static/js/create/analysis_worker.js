// A module worker running the visualizer's own browser analysis (analysis.js) off the main
// thread: the song's mono samples arrive once, then each trim/fps change asks for the features
// of that range, which go back as {header, data} (PackedFeatures.packed(), transferred).
import { analyzeSamples } from '/static/visualizer/analysis.js';

let samples = null;
let sampleRate = 0;

self.addEventListener('message', ({ data }) => {
  if (data.type === 'samples') {
    samples = data.samples;
    sampleRate = data.sampleRate;
    return;
  }
  if (data.type !== 'analyze') return;
  try {
    const packed = analyzeRange(data.trimStart, data.trimEnd, data.fps);
    self.postMessage({ id: data.id, packed }, [packed.data]);
  } catch (err) {
    self.postMessage({ id: data.id, error: String(err && err.message ? err.message : err) });
  }
});

// The same range analyzeAudioFile() cuts: samples [floor(start*sr), floor(end*sr)).
export function analyzeRange(trimStart, trimEnd, fps) {
  const a = Math.min(samples.length, Math.floor(trimStart * sampleRate));
  const b = trimEnd == null ? samples.length : Math.min(samples.length, Math.floor(trimEnd * sampleRate));
  return analyzeSamples(samples.subarray(a, Math.max(a, b)), sampleRate, fps).packed();
}

self.postMessage({ type: 'ready' });
