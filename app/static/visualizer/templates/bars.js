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
  const baseY = mirror ? v.cy : v.y + v.h * 0.78;
  const maxH = mirror ? v.h * 0.46 : v.h * 0.74;
  const minH = Math.max(2, layout.m * 0.004);
  const radius = rounded ? barW / 2 : 0;
  const ctxG = new OffscreenCanvas(1, 1).getContext('2d');
  const up = ctxG.createLinearGradient(0, baseY, 0, baseY - maxH);
  up.addColorStop(0, pal.css(c1));
  up.addColorStop(1, pal.css(c2));
  const down = ctxG.createLinearGradient(0, baseY, 0, baseY + maxH);
  down.addColorStop(0, pal.css(c1, mirror ? 1 : 0.28));
  down.addColorStop(1, pal.css(c2, mirror ? 1 : 0));
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
      const heights = Array.from(values, (val) => Math.max(minH, val * maxH));
      ctx.fillStyle = up;
      ctx.beginPath();
      for (let k = 0; k < n; k++) {
        const x = v.x + k * slot + (slot - barW) / 2;
        ctx.roundRect(x, baseY - heights[k], barW, heights[k] + (mirror ? 0 : 0), radius);
      }
      ctx.fill();
      ctx.fillStyle = down;
      ctx.beginPath();
      const k2 = mirror ? 1 : 0.55;
      for (let k = 0; k < n; k++) {
        const x = v.x + k * slot + (slot - barW) / 2;
        ctx.roundRect(x, baseY + (mirror ? 0 : minH), barW, heights[k] * k2, radius);
      }
      ctx.fill();
      // a thin glowing centre line that flares on the beat
      const lineH = Math.max(1, layout.m * 0.002);
      ctx.fillStyle = pal.css(c1, 0.35 + 0.5 * f.pulse);
      ctx.fillRect(v.x, baseY - lineH / 2, v.w, lineH);
    },
  };
}
