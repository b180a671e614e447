// Timed captions: the cue of frame i drawn over the scene in the template's font.
// A cue shows on frame i when start <= trim_start + i / fps < end -- the same formula as
// app/rendering/captions.py frame_range, so a cue from 2.0 s to 4.0 s at 30 fps is on frames
// 60-119. Cue text is plain text (the server removed any markup) and is only ever drawn with
// fillText, so nothing in it is interpreted.
import { parseHex } from './color.js';
import { FONT_FAMILIES } from './scene.js';

const SIZES = { small: 0.036, medium: 0.046, large: 0.06 };
const MAX_LINES = 2;

export function cueFrames(cue, fps, trimStart = 0) {
  const at = (t) => Math.max(0, Math.ceil(Math.round((t - trimStart) * fps * 1e6) / 1e6));
  return [at(cue.start), at(cue.end)];
}

// Break `text` into lines no wider than maxWidth (words, or characters for a word too wide);
// at most MAX_LINES, the last one ending in an ellipsis when text was left out.
export function wrapLines(ctx, text, maxWidth) {
  const fits = (s) => ctx.measureText(s).width <= maxWidth;
  const wrapOne = (paragraph) => {
    const lines = [];
    let line = '';
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      const candidate = line ? `${line} ${word}` : word;
      if (fits(candidate)) { line = candidate; continue; }
      if (line) lines.push(line);
      line = '';
      let rest = word;
      while (!fits(rest)) { // a word (or a CJK run) wider than the frame: break it by characters
        let n = rest.length - 1;
        while (n > 1 && !fits(rest.slice(0, n))) n--;
        lines.push(rest.slice(0, n));
        rest = rest.slice(n);
      }
      line = rest;
    }
    if (line) lines.push(line);
    return lines;
  };
  let lines = text.split('\n').flatMap(wrapOne);
  if (lines.length > MAX_LINES) {
    lines = wrapOne(text.replace(/\n/g, ' '));
  }
  if (lines.length > MAX_LINES) {
    let last = lines.slice(MAX_LINES - 1).join(' ');
    while (last.length > 1 && !fits(`${last}…`)) last = last.slice(0, -1).trimEnd();
    lines = [...lines.slice(0, MAX_LINES - 1), `${last}…`];
  }
  return lines;
}

export function createCaptions(env, config) {
  const captions = config.captions;
  if (!captions || !Array.isArray(captions.cues) || !captions.cues.length) return null;
  const { W, H, opt, pal, layout } = env;
  const fps = Number(config.fps || 30);
  const trimStart = Number(config.trim_start || 0);
  const cues = captions.cues
    .map((cue) => ({ cue, range: cueFrames(cue, fps, trimStart) }))
    .filter(({ range }) => range[1] > range[0])
    .sort((a, b) => a.range[0] - b.range[0]);
  const family = FONT_FAMILIES[opt.font] || FONT_FAMILIES.sans;
  // phones show 9:16 small: there the captions are a fifth larger, as the title is
  const size = Math.round((SIZES[captions.size] || SIZES.medium) * layout.m * (layout.portrait ? 1.2 : 1));
  const color = parseHex(captions.color, [255, 255, 255]);
  const boxed = captions.background !== false;
  const pad = Math.round(size * 0.35);
  const gap = Math.round(0.03 * layout.m);
  const left = layout.portrait ? layout.safe.left : layout.margin;
  const right = layout.portrait ? layout.safe.right : W - layout.margin;
  const maxWidth = (right - left) * 0.92 - 2 * pad;
  const textAtTop = layout.textBlock > 0 && layout.textY < H / 2;
  const textAtBottom = layout.textBlock > 0 && !textAtTop;
  const lineHeight = Math.round(size * 1.22);
  const measure = new OffscreenCanvas(1, 1).getContext('2d');
  measure.font = `bold ${size}px "${family}"`;
  let cached = null; // [cue, layer, x, y]

  function layer(cue) {
    const lines = wrapLines(measure, cue.text, maxWidth);
    const textW = Math.ceil(Math.max(...lines.map((l) => measure.measureText(l).width)));
    const boxW = textW + 2 * pad, boxH = lines.length * lineHeight + pad;
    const canvas = new OffscreenCanvas(boxW, boxH);
    const ctx = canvas.getContext('2d');
    if (boxed) {
      ctx.fillStyle = pal.css([0, 0, 0], 0.62);
      ctx.beginPath();
      ctx.roundRect(0, 0, boxW, boxH, Math.round(size * 0.25));
      ctx.fill();
    } else {
      ctx.shadowColor = 'rgba(0,0,0,0.85)';
      ctx.shadowBlur = Math.round(size * 0.18);
    }
    ctx.font = measure.font;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillStyle = pal.css(color);
    lines.forEach((line, k) => ctx.fillText(line, boxW / 2, pad / 2 + lineHeight * (k + 0.5)));
    let y;
    if (captions.position === 'top') {
      y = textAtTop ? layout.textY + layout.textBlock + gap : (layout.portrait ? layout.safe.top : layout.margin);
    } else if (captions.position === 'middle') {
      y = Math.round(H / 2 - boxH / 2);
    } else {
      y = (textAtBottom ? layout.textY : layout.progressY) - gap - boxH;
    }
    return [cue, canvas, Math.round((left + right) / 2 - boxW / 2), Math.round(y)];
  }

  // the cue on frame i: of those whose range holds i, the one that started last
  function cueAt(i) {
    let lo = 0, hi = cues.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (cues[mid].range[0] <= i) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    for (let k = found; k >= 0 && k > found - 16; k--) {
      if (i < cues[k].range[1]) return cues[k].cue;
    }
    return null;
  }

  return {
    draw(ctx, i) {
      const cue = cueAt(i);
      if (!cue) return;
      if (!cached || cached[0] !== cue) cached = layer(cue);
      ctx.drawImage(cached[1], cached[2], cached[3]);
    },
  };
}
