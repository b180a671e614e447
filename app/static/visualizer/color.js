// Colours. A Palette turns colours into canvas styles; for limited-range video output it
// pre-boosts chroma by 224/219 so that, after the final range-compression pass
// (see visualizer.js), luma lands in 16..235 and chroma in 16..240 exactly.

export function parseHex(hex, fallback = [255, 255, 255]) {
  const m = /^#?([0-9a-f]{6})$/i.exec(String(hex ?? '').trim());
  if (!m) return fallback.slice();
  const v = parseInt(m[1], 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

export const mix = (a, b, t) => [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];

export const luma = (c) => 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];

export function lighten(c, t) { return mix(c, [255, 255, 255], t); }

export class Palette {
  constructor(chromaGain = 1) { this.chromaGain = chromaGain; }

  adjust(c) {
    if (this.chromaGain === 1) return c;
    const y = luma(c), g = this.chromaGain;
    return c.map((v) => Math.min(255, Math.max(0, y + (v - y) * g)));
  }

  css(c, alpha = 1) {
    const [r, g, b] = this.adjust(c).map((v) => Math.round(v));
    return alpha >= 1 ? `rgb(${r},${g},${b})` : `rgba(${r},${g},${b},${Math.max(0, alpha).toFixed(4)})`;
  }

  // Apply the chroma gain to an image's pixels once (images are drawn many times).
  image(source, width, height) {
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d');
    ctx.drawImage(source, 0, 0, width, height);
    if (this.chromaGain !== 1) {
      const img = ctx.getImageData(0, 0, width, height), d = img.data, g = this.chromaGain;
      for (let p = 0; p < d.length; p += 4) {
        const y = 0.2126 * d[p] + 0.7152 * d[p + 1] + 0.0722 * d[p + 2];
        d[p] = y + (d[p] - y) * g; d[p + 1] = y + (d[p + 1] - y) * g; d[p + 2] = y + (d[p + 2] - y) * g;
      }
      ctx.putImageData(img, 0, 0);
    }
    return canvas;
  }
}
