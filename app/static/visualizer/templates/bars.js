// Mirrored bars: the spectrum as rounded bars growing both ways from the centre line.
import { parseHex } from '../color.js';
import { resampleBands } from '../scene.js';

export function create(env) {
  const { opt, pal, layout } = env;
  const v = layout.visual;
  const n = Math.round(opt.bar_count ?? 64);
  const mirror = opt.mirror !== false;
  const rounded = opt.rounded !== false;
  const gap = Math.min(0.8, Math.max(0, Number(opt.bar_gap ?? 0.3)));
  const sens = Number(opt.sensitivity ?? 1);
  const c1 = parseHex(opt.bar_color, [94, 231, 255]);
  const c2 = parseHex(opt.bar_color_2, [177, 108, 255]);
  const slot = v.w / n;
  const barW = Math.max(1, slot * (1 - gap));
  const baseY = Math.round(mirror ? v.cy : v.y + v.h * 0.78);
  const maxH = mirror ? v.h * 0.46 : v.h * 0.74;
  const minH = Math.max(2, layout.m * 0.004);
  const radius = rounded ? barW / 2 : 0;
  // The bars are drawn once per frame into a transparent layer; the mirror image (or the
  // reflection) is a flipped copy of that layer, which is far cheaper than rasterizing them twice.
  const layerW = Math.ceil(v.w) + 2, layerH = Math.ceil(maxH) + 2;
  const layer = new OffscreenCanvas(layerW, layerH);
  const lctx = layer.getContext('2d');
  const up = lctx.createLinearGradient(0, layerH, 0, layerH - maxH);
  up.addColorStop(0, pal.css(c1));
  up.addColorStop(1, pal.css(c2));
  const x0 = Math.floor(v.x) - 1, y0 = baseY - layerH;
  // the reflection stays inside the visual area (it must not run into the title below)
  const reflectH = Math.max(1, Math.min(layerH * 0.55, v.y + v.h - baseY - minH));
  const values = new Float32Array(n);
  // symmetric: low frequencies in the middle, highs at both edges
  const half = new Float32Array(Math.ceil(n / 2));

  return {
    draw(ctx, f) {
      resampleBands(f.bands.subarray(0, 56), half.length, half);
      for (let k = 0; k < n; k++) {
        const d = Math.abs(k - (n - 1) / 2);
        const h = half[Math.min(half.length - 1, Math.floor(d))];
        values[k] = Math.min(1, Math.pow(h, 1.35) * sens * (1 + 0.12 * f.pulse));
      }
      lctx.clearRect(0, 0, layerW, layerH);
      lctx.fillStyle = up;
      lctx.beginPath();
      for (let k = 0; k < n; k++) {
        const h = Math.max(minH, values[k] * maxH);
        const x = v.x - x0 + k * slot + (slot - barW) / 2;
        // extend past the layer's bottom edge so only the tip is rounded
        lctx.roundRect(x, layerH - h, barW, h + radius + 1, radius);
      }
      lctx.fill();
      ctx.drawImage(layer, x0, y0);
      ctx.save();
      ctx.translate(0, 2 * baseY);
      ctx.scale(1, -1);
      if (mirror) {
        ctx.drawImage(layer, x0, y0);
      } else {
        ctx.globalAlpha = 0.28; // a short, faint reflection under the baseline
        ctx.drawImage(layer, 0, 0, layerW, layerH, x0, baseY - minH - reflectH, layerW, reflectH);
      }
      ctx.restore();
      // a thin glowing centre line that flares on the beat
      const lineH = Math.max(1, layout.m * 0.002);
      ctx.fillStyle = pal.css(c1, 0.35 + 0.5 * f.pulse);
      ctx.fillRect(v.x, baseY - lineH / 2, v.w, lineH);
    },
  };
}
