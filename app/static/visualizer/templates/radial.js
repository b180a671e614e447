// Radial spectrum: bars radiating around a round cover image that pulses with the beat.
import { mix, parseHex } from '../color.js';
import { glowSprite, resampleBands } from '../scene.js';

export function create(env) {
  const { opt, pal, layout, images } = env;
  const v = layout.visual;
  const n = Math.round(opt.bar_count ?? 120);
  const sens = Number(opt.sensitivity ?? 1);
  const spin = opt.spin !== false;
  const c1 = parseHex(opt.ring_color, [255, 95, 162]);
  const c2 = parseHex(opt.ring_color_2, [255, 211, 110]);
  const R0 = Math.min(v.w, v.h) * 0.22;
  const maxLen = Math.min(v.w, v.h) * 0.5 - R0 * 1.12;
  const barW = Math.max(1.5, ((2 * Math.PI * R0) / n) * 0.55);
  const ctxG = new OffscreenCanvas(1, 1).getContext('2d');
  const stroke = ctxG.createRadialGradient(v.cx, v.cy, R0, v.cx, v.cy, R0 * 1.1 + maxLen);
  stroke.addColorStop(0, pal.css(c1));
  stroke.addColorStop(1, pal.css(c2));
  const glow = glowSprite(pal, mix(c1, c2, 0.3), 256, 0.05);
  // the cover disc, drawn once at the largest size it reaches
  const discR = Math.ceil(R0 * 1.1);
  const disc = new OffscreenCanvas(2 * discR, 2 * discR);
  const dctx = disc.getContext('2d');
  dctx.beginPath();
  dctx.arc(discR, discR, discR, 0, Math.PI * 2);
  dctx.clip();
  const cover = images.cover_image;
  if (cover) {
    const k = Math.max((2 * discR) / cover.width, (2 * discR) / cover.height);
    dctx.drawImage(cover, discR - (cover.width * k) / 2, discR - (cover.height * k) / 2, cover.width * k, cover.height * k);
  } else {
    const g = dctx.createRadialGradient(discR * 0.7, discR * 0.6, 0, discR, discR, discR);
    g.addColorStop(0, pal.css(mix(c2, [255, 255, 255], 0.3)));
    g.addColorStop(0.55, pal.css(c1));
    g.addColorStop(1, pal.css(mix(c1, [0, 0, 0], 0.55)));
    dctx.fillStyle = g;
    dctx.fillRect(0, 0, 2 * discR, 2 * discR);
    dctx.strokeStyle = pal.css([255, 255, 255], 0.12);
    for (let r = discR * 0.3; r < discR; r += discR * 0.12) {
      dctx.lineWidth = Math.max(1, discR * 0.01);
      dctx.beginPath(); dctx.arc(discR, discR, r, 0, Math.PI * 2); dctx.stroke();
    }
  }
  const half = new Float32Array(Math.ceil(n / 2));

  return {
    draw(ctx, f) {
      const beat = 1 + 0.06 * f.pulse + 0.03 * f.bass;
      const g = R0 * 3.2 * (0.85 + 0.35 * f.rms + 0.2 * f.pulse);
      ctx.globalAlpha = 0.35 + 0.45 * f.rms;
      ctx.drawImage(glow, v.cx - g / 2, v.cy - g / 2, g, g);
      ctx.globalAlpha = 1;
      resampleBands(f.bands.subarray(0, 56), half.length, half);
      const rot = spin ? f.phase * 0.12 : 0;
      ctx.beginPath();
      for (let k = 0; k < n; k++) {
        const j = k < half.length ? k : n - 1 - k; // mirrored left/right
        const val = Math.min(1, Math.pow(half[Math.max(0, Math.min(half.length - 1, j))], 1.3) * sens);
        const a = rot - Math.PI / 2 + ((k + 0.5) / n) * Math.PI * 2;
        const r1 = R0 * beat * 1.08, r2 = r1 + Math.max(barW * 0.5, val * maxLen);
        const ca = Math.cos(a), sa = Math.sin(a);
        ctx.moveTo(v.cx + ca * r1, v.cy + sa * r1);
        ctx.lineTo(v.cx + ca * r2, v.cy + sa * r2);
      }
      ctx.strokeStyle = stroke;
      ctx.lineWidth = barW;
      ctx.lineCap = 'round';
      ctx.stroke();
      const r = R0 * beat;
      ctx.drawImage(disc, v.cx - r, v.cy - r, 2 * r, 2 * r);
      ctx.beginPath();
      ctx.arc(v.cx, v.cy, r, 0, Math.PI * 2);
      ctx.strokeStyle = pal.css(c2, 0.55 + 0.45 * f.pulse);
      ctx.lineWidth = Math.max(2, layout.m * 0.004);
      ctx.stroke();
    },
  };
}
