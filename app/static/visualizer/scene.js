// What every template shares: layout, background, the static text/logo layer, progress bar.
// Static layers are drawn once in init; per frame they are only blitted.
import { parseHex } from './color.js';

export const FONT_FAMILIES = { sans: 'WF Sans', serif: 'WF Serif', mono: 'WF Mono' };

// Platforms overlay the top and bottom of a 9:16 video (status bar and tabs above; caption,
// account name and buttons below), so a portrait frame keeps its title, visual and progress bar
// inside a safe area: 13 % of the height clear at the top, 22 % at the bottom.
export const PORTRAIT_SAFE = { top: 0.13, bottom: 0.22 };

export function computeLayout(W, H, { hasText, textPosition }) {
  if (H > W * 1.2) return portraitLayout(W, H, { hasText, textPosition });
  const m = Math.min(W, H);
  const s = m / 1080;
  const margin = Math.round(0.06 * m);
  const titleSize = Math.round(0.052 * m);
  const artistSize = Math.round(0.034 * m);
  const textBlock = hasText ? Math.round(titleSize * 1.25 + artistSize * 1.4) : 0;
  const progressY = H - Math.round(margin * 0.55);
  let top = margin, bottom = H - margin - Math.round(0.02 * m);
  let textY = 0;
  if (hasText && textPosition === 'top') { textY = margin; top = margin + textBlock + Math.round(0.03 * m); }
  if (hasText && textPosition !== 'top') { textY = bottom - textBlock; bottom = textY - Math.round(0.03 * m); }
  const visual = { x: margin, y: top, w: W - 2 * margin, h: Math.max(bottom - top, Math.round(0.2 * m)) };
  visual.cx = visual.x + visual.w / 2;
  visual.cy = visual.y + visual.h / 2;
  const safe = { top: 0, bottom: H, left: 0, right: W };
  return { W, H, m, s, margin, titleSize, artistSize, textY, textBlock, progressY, visual, safe, portrait: false };
}

// 9:16 (and any tall frame): the visual spans the width, the title and artist are sized for a
// phone (from the width, not the shorter side alone) and everything sits inside the safe area.
function portraitLayout(W, H, { hasText, textPosition }) {
  const m = W;
  const s = m / 1080;
  const margin = Math.round(0.06 * W);
  const safe = {
    top: Math.round(PORTRAIT_SAFE.top * H),
    bottom: H - Math.round(PORTRAIT_SAFE.bottom * H),
    left: margin,
    right: W - margin,
  };
  const gap = Math.round(0.035 * W);
  const titleSize = Math.round(0.074 * W);
  const artistSize = Math.round(0.048 * W);
  const textBlock = hasText ? Math.round(titleSize * 1.25 + artistSize * 1.4) : 0;
  const progressY = safe.bottom - Math.round(0.01 * W);
  let top = safe.top, bottom = progressY - gap;
  let textY = 0;
  // (a little inside the line: the glyphs' shadow and the video's chroma must not cross it)
  if (hasText && textPosition === 'top') { textY = safe.top + Math.round(0.015 * W); top = textY + textBlock + gap; }
  if (hasText && textPosition !== 'top') { textY = bottom - textBlock; bottom = textY - gap; }
  // the visual fills the width; its height is what is left, kept within 1.15x the width so bars
  // and waves keep their proportions, centred in the free space
  const free = Math.max(bottom - top, Math.round(0.3 * W));
  const w = W - 2 * margin;
  const h = Math.min(free, Math.round(w * 1.15));
  const visual = { x: margin, y: Math.round(top + (free - h) / 2), w, h };
  visual.cx = visual.x + visual.w / 2;
  visual.cy = visual.y + visual.h / 2;
  return { W, H, m, s, margin, titleSize, artistSize, textY, textBlock, progressY, visual, safe, portrait: true };
}

function coverFit(iw, ih, W, H) {
  const k = Math.max(W / iw, H / ih);
  const w = iw * k, h = ih * k;
  return [(W - w) / 2, (H - h) / 2, w, h];
}

export function buildBackground(env) {
  const { W, H, opt, pal, images, layout } = env;
  const canvas = new OffscreenCanvas(W, H);
  const ctx = canvas.getContext('2d', { alpha: false });
  const c1 = parseHex(opt.background_color, [11, 16, 32]);
  const c2 = parseHex(opt.background_color_2, c1);
  const grad = ctx.createLinearGradient(0, 0, W * 0.3, H);
  grad.addColorStop(0, pal.css(c1));
  grad.addColorStop(1, pal.css(c2));
  ctx.fillStyle = grad;
  ctx.fillRect(0, 0, W, H);
  const img = images.background_image;
  if (img) {
    const blur = Math.max(0, Number(opt.background_blur ?? 12)) * layout.s;
    const pad = blur * 2;
    const [x, y, w, h] = coverFit(img.width, img.height, W + 2 * pad, H + 2 * pad);
    ctx.filter = blur > 0 ? `blur(${blur.toFixed(2)}px)` : 'none';
    ctx.drawImage(img, x - pad, y - pad, w, h);
    ctx.filter = 'none';
    ctx.fillStyle = `rgba(0,0,0,${Math.min(0.9, Math.max(0, Number(opt.background_dim ?? 0.45)))})`;
    ctx.fillRect(0, 0, W, H);
  }
  const vignette = ctx.createRadialGradient(W / 2, H / 2, Math.min(W, H) * 0.25, W / 2, H / 2, Math.hypot(W, H) * 0.6);
  vignette.addColorStop(0, 'rgba(0,0,0,0)');
  vignette.addColorStop(1, 'rgba(0,0,0,0.38)');
  ctx.fillStyle = vignette;
  ctx.fillRect(0, 0, W, H);
  return canvas;
}

function fitText(ctx, text, maxWidth) {
  if (ctx.measureText(text).width <= maxWidth) return text;
  let lo = 0, hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (ctx.measureText(text.slice(0, mid).trimEnd() + '…').width <= maxWidth) lo = mid; else hi = mid - 1;
  }
  return text.slice(0, lo).trimEnd() + '…';
}

// Title, artist and logo on a transparent layer; returns the layer and the rectangles it covers.
export function buildOverlay(env, config) {
  const { W, H, opt, pal, images, layout } = env;
  const canvas = new OffscreenCanvas(W, H);
  const ctx = canvas.getContext('2d');
  const rects = [];
  const family = FONT_FAMILIES[opt.font] || FONT_FAMILIES.sans;
  const textColor = parseHex(opt.text_color, [255, 255, 255]);
  const title = String(config.title ?? ''), artist = String(config.artist ?? '');
  if (title || artist) {
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    ctx.shadowColor = 'rgba(0,0,0,0.55)';
    ctx.shadowBlur = Math.round(layout.m * 0.012);
    ctx.shadowOffsetY = Math.round(layout.m * 0.003);
    const logoTop = String(opt.logo_position || 'top-right').startsWith('top');
    const logoSameSide = images.logo_image && logoTop === (opt.text_position === 'top');
    const maxWidth = W - 2 * layout.margin - (logoSameSide ? 2 * Math.round(layout.m * 0.13) : 0);
    let y = layout.textY;
    if (title) {
      ctx.font = `bold ${layout.titleSize}px "${family}"`;
      ctx.fillStyle = pal.css(textColor);
      ctx.fillText(fitText(ctx, title, maxWidth), W / 2, y);
      y += Math.round(layout.titleSize * 1.25);
    }
    if (artist) {
      ctx.font = `${layout.artistSize}px "${family}"`;
      ctx.fillStyle = pal.css(textColor, 0.78);
      ctx.fillText(fitText(ctx, artist, maxWidth), W / 2, y);
    }
    const pad = Math.round(layout.m * 0.03);
    rects.push([0, Math.max(0, layout.textY - pad), W, Math.min(H, layout.textBlock + 2 * pad)]);
  }
  const logo = images.logo_image;
  if (logo) {
    const box = Math.round(layout.m * 0.12);
    const k = Math.min(box / logo.width, box / logo.height);
    const w = Math.round(logo.width * k), h = Math.round(logo.height * k);
    const pos = opt.logo_position || 'top-right';
    const inset = layout.portrait ? layout.margin : layout.margin * 0.6;
    const x = pos.endsWith('left') ? inset : W - inset - w;
    let y = pos.startsWith('top') ? layout.margin * 0.6 : H - layout.margin * 0.6 - h - layout.m * 0.02;
    // in 9:16 the logo stays inside the safe area too, in the corner beside the title
    if (layout.portrait) y = pos.startsWith('top') ? layout.safe.top : layout.progressY - layout.margin - h;
    ctx.globalAlpha = 0.92;
    ctx.drawImage(logo, Math.round(x), Math.round(y), w, h);
    ctx.globalAlpha = 1;
    rects.push([Math.floor(x), Math.floor(y), w + 1, h + 1]);
  }
  return { canvas, rects: rects.map((r) => r.map((v) => Math.max(0, Math.round(v)))) };
}

export function drawProgress(ctx, env, progress) {
  const { W, opt, pal, layout } = env;
  if (opt.show_progress === false) return;
  const x0 = layout.margin, x1 = W - layout.margin, y = layout.progressY;
  const h = Math.max(2, Math.round(layout.m * 0.005));
  const color = parseHex(opt.progress_color, [255, 255, 255]);
  ctx.fillStyle = pal.css([255, 255, 255], 0.16);
  ctx.fillRect(x0, y - h / 2, x1 - x0, h);
  const x = x0 + (x1 - x0) * Math.min(1, Math.max(0, progress));
  ctx.fillStyle = pal.css(color);
  ctx.fillRect(x0, y - h / 2, x - x0, h);
  ctx.beginPath();
  ctx.arc(x, y, h * 1.6, 0, Math.PI * 2);
  ctx.fill();
}

// A soft round glow sprite (radial gradient), drawn scaled many times per frame.
export function glowSprite(pal, color, size = 128, core = 0.15) {
  const canvas = new OffscreenCanvas(size, size);
  const ctx = canvas.getContext('2d');
  const g = ctx.createRadialGradient(size / 2, size / 2, 0, size / 2, size / 2, size / 2);
  g.addColorStop(0, pal.css([255, 255, 255], 1));
  g.addColorStop(core, pal.css(color, 0.9));
  g.addColorStop(0.45, pal.css(color, 0.25));
  g.addColorStop(1, pal.css(color, 0));
  ctx.fillStyle = g;
  ctx.fillRect(0, 0, size, size);
  return canvas;
}

// Deterministic pseudo-random numbers in [0, 1) from integers (no global state).
export function hash01(a, b = 0) {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
  h ^= h >>> 16; h = Math.imul(h, 0x7feb352d); h ^= h >>> 15; h = Math.imul(h, 0x846ca68b); h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

// Resample `bands` (0..1) to n values by linear interpolation.
export function resampleBands(bands, n, out = new Float32Array(n)) {
  const m = bands.length;
  for (let k = 0; k < n; k++) {
    const pos = n === 1 ? 0 : (k / (n - 1)) * (m - 1);
    const a = Math.floor(pos), t = pos - a;
    out[k] = bands[a] * (1 - t) + bands[Math.min(m - 1, a + 1)] * t;
  }
  return out;
}
