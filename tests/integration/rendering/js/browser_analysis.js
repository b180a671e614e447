async (b64) => {
  // Run the browser-side analysis (analysis.js) on mono float32 PCM given as base64.
  const { analyzeSamples } = await import('./analysis.js');
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const feats = analyzeSamples(new Float32Array(bytes.buffer), 44100, 24);
  const frame = feats.frame(20);
  const out = new Uint8Array(feats._all.buffer);
  let s = '';
  for (let i = 0; i < out.length; i += 8192) s += String.fromCharCode(...out.subarray(i, i + 8192));
  return { data: btoa(s), frameCount: feats.frameCount, rms20: frame.rms };
}
