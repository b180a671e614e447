// Oscilloscope: the frame's own waveform slice as a glowing line.
import { parseHex } from '../color.js';

export function create(env) {
  const { opt, pal, layout } = env;
  const v = layout.visual;
  const color = parseHex(opt.line_color, [124, 255, 196]);
  const width = Math.max(1, Number(opt.line_width ?? 4) * layout.s);
  const glow = opt.glow !== false;
  const fill = opt.fill === true;
  const sens = Number(opt.sensitivity ?? 1);
  const amp = v.h * 0.45;
  const n = 256;
  const xs = new Float32Array(n), taper = new Float32Array(n), ys = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    xs[k] = v.x + (v.w * k) / (n - 1);
    const t = k / (n - 1);
    taper[k] = Math.sin(Math.PI * t) ** 0.6; // the line meets the centre at both ends
  }

  function path(ctx) {
    ctx.beginPath();
    ctx.moveTo(xs[0], ys[0]);
    for (let k = 1; k < n - 1; k++) {
      const mx = (xs[k] + xs[k + 1]) / 2, my = (ys[k] + ys[k + 1]) / 2;
      ctx.quadraticCurveTo(xs[k], ys[k], mx, my);
    }
    ctx.lineTo(xs[n - 1], ys[n - 1]);
  }

  return {
    draw(ctx, f) {
      const gain = 1.6 * sens;
      for (let k = 0; k < n; k++) {
        const y = Math.max(-1, Math.min(1, f.wave[k] * gain));
        ys[k] = v.cy - y * amp * taper[k];
      }
      ctx.lineJoin = 'round';
      ctx.lineCap = 'round';
      // faint grid line
      ctx.fillStyle = pal.css(color, 0.12);
      ctx.fillRect(v.x, v.cy - 0.5, v.w, 1);
      if (fill) {
        ctx.beginPath();
        ctx.moveTo(xs[0], v.cy);
        for (let k = 0; k < n; k++) ctx.lineTo(xs[k], v.cy - Math.abs(v.cy - ys[k]));
        for (let k = n - 1; k >= 0; k--) ctx.lineTo(xs[k], v.cy + Math.abs(v.cy - ys[k]));
        ctx.closePath();
        ctx.fillStyle = pal.css(color, 0.16 + 0.2 * f.rms);
        ctx.fill();
      }
      path(ctx);
      if (glow) {
        ctx.strokeStyle = pal.css(color, 0.10 + 0.10 * f.pulse);
        ctx.lineWidth = width * 6;
        ctx.stroke();
        ctx.strokeStyle = pal.css(color, 0.22);
        ctx.lineWidth = width * 2.6;
        ctx.stroke();
      }
      ctx.strokeStyle = pal.css(color);
      ctx.lineWidth = width;
      ctx.stroke();
      ctx.strokeStyle = pal.css([255, 255, 255], 0.55);
      ctx.lineWidth = Math.max(1, width * 0.35);
      ctx.stroke();
    },
  };
}
