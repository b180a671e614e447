// Particle field: glowing particles stream out of a pulsing core. Each particle's position is a
// closed-form function of the frame's loudness-weighted phase, so any frame can be drawn alone.
import { mix, parseHex } from '../color.js';
import { glowSprite, hash01 } from '../scene.js';

export function create(env) {
  const { opt, pal, layout, W, H } = env;
  const v = layout.visual;
  const count = Math.round(opt.density ?? 260);
  const speed = Number(opt.speed ?? 1);
  const sens = Number(opt.sensitivity ?? 1);
  const pc = parseHex(opt.particle_color, [154, 216, 255]);
  const ac = parseHex(opt.accent_color, [255, 122, 217]);
  const sprites = [glowSprite(pal, pc, 64), glowSprite(pal, mix(pc, ac, 0.5), 64), glowSprite(pal, ac, 64)];
  const core = glowSprite(pal, ac, 256, 0.08);
  const reach = Math.hypot(W, H) * 0.55;
  const coreR = Math.min(v.w, v.h) * 0.08;
  const unit = layout.m / 1080;
  const parts = [];
  for (let k = 0; k < count; k++) {
    parts.push({
      angle: hash01(k, 1) * Math.PI * 2,
      speed: 0.35 + 0.65 * hash01(k, 2),
      offset: hash01(k, 3),
      size: (6 + 20 * hash01(k, 4) ** 2) * unit,
      swirl: (hash01(k, 5) - 0.5) * 1.2,
      sprite: sprites[Math.floor(hash01(k, 6) * 3)],
      band: Math.floor(hash01(k, 7) * 48),
    });
  }

  return {
    draw(ctx, f) {
      const energy = Math.min(1, f.rms * sens);
      for (const p of parts) {
        const life = (p.offset + f.phase * 0.1 * speed * p.speed) % 1;
        const r = coreR + Math.pow(life, 1.6) * reach;
        const a = p.angle + p.swirl * life;
        const x = v.cx + Math.cos(a) * r, y = v.cy + Math.sin(a) * r * 0.9;
        const lift = f.bands[p.band] * sens;
        const size = p.size * (0.5 + 1.2 * life) * (1 + 0.9 * lift + 0.6 * f.pulse);
        if (x < -size || y < -size || x > W + size || y > H + size) continue;
        ctx.globalAlpha = Math.min(1, Math.sin(Math.PI * life) * (0.35 + 0.65 * energy));
        ctx.drawImage(p.sprite, x - size, y - size, 2 * size, 2 * size);
      }
      const cs = coreR * (4.5 + 3 * f.bass * sens + 2.5 * f.pulse);
      ctx.globalAlpha = 0.55 + 0.45 * energy;
      ctx.drawImage(core, v.cx - cs / 2, v.cy - cs / 2, cs, cs);
      ctx.globalAlpha = 1;
    },
  };
}
