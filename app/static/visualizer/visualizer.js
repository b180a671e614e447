// The Waveframe visualizer: init(config, features) then renderFrame(i).
// Every pixel of frame i is a pure function of (config, features, assets, i): frames can be drawn
// in any order and by several pages at once. Used both by the worker (capture.js) and by the
// web app's live preview; it never touches the network except to load the assets it is given.
import { createCaptions } from './captions.js';
import { Palette } from './color.js';
import { toFeatures } from './features.js';
import { buildBackground, buildOverlay, computeLayout, drawProgress, FONT_FAMILIES } from './scene.js';
import { TEMPLATES } from './templates/index.js';

export { TEMPLATES };

const FONT_FILES = [
  ['sans', 'normal', 'DejaVuSans.ttf'], ['sans', 'bold', 'DejaVuSans-Bold.ttf'],
  ['serif', 'normal', 'DejaVuSerif.ttf'], ['serif', 'bold', 'DejaVuSerif-Bold.ttf'],
  ['mono', 'normal', 'DejaVuSansMono.ttf'], ['mono', 'bold', 'DejaVuSansMono-Bold.ttf'],
];
// Limited ("TV") range output: the final pass maps every channel v -> v*219/255 + 16 (luma
// 16..235); the palette pre-boosts chroma by 224/219 so chroma ends up scaled by 224/255.
const LIMITED_CHROMA_GAIN = 224 / 219;
const LIMITED_OVERLAY = `rgba(113,113,113,${36 / 255})`;

let fontsLoaded = null;
export function loadFonts(family) {
  fontsLoaded ??= new Map();
  const wanted = FONT_FILES.filter(([f]) => f === family);
  return Promise.all(wanted.map(([f, weight, file]) => {
    const key = `${f}/${weight}`;
    if (!fontsLoaded.has(key)) {
      const face = new FontFace(FONT_FAMILIES[f], `url(${new URL(`./fonts/${file}`, import.meta.url)})`, { weight });
      fontsLoaded.set(key, face.load().then((loaded) => { document.fonts.add(loaded); return loaded; }));
    }
    return fontsLoaded.get(key);
  }));
}

async function loadImage(source) {
  if (!source) return null;
  if (typeof ImageBitmap !== 'undefined' && source instanceof ImageBitmap) return source;
  const blob = source instanceof Blob ? source : await (await fetch(source)).blob();
  return createImageBitmap(blob);
}

function imageOptions(template, options) {
  return Object.keys(options).filter((k) => k.endsWith('_image') && options[k]);
}

// Build a visualizer drawing onto `canvas`. opts.assets maps asset names (the values of the
// *_image options) to URLs, Blobs or ImageBitmaps; opts.outputRange is 'full' (screen) or
// 'limited' (video encoders that expect TV range).
export async function createVisualizer(canvas, config, features, { assets = {}, outputRange = 'full' } = {}) {
  const template = TEMPLATES[config.template];
  if (!template) throw new Error(`unknown template ${config.template}`);
  const feats = toFeatures(features);
  const [W, H] = String(config.size || '1920x1080').split('x').map(Number);
  canvas.width = W;
  canvas.height = H;
  const opt = { ...(config.options || {}) };
  const pal = new Palette(outputRange === 'limited' ? LIMITED_CHROMA_GAIN : 1);
  await loadFonts(FONT_FAMILIES[opt.font] ? opt.font : 'sans');
  const images = {};
  for (const key of imageOptions(config.template, opt)) {
    const bitmap = await loadImage(assets[opt[key]]);
    if (!bitmap) throw new Error(`missing image asset "${opt[key]}" for ${key}`);
    const k = Math.min(1, (2 * Math.max(W, H)) / Math.max(bitmap.width, bitmap.height));
    images[key] = pal.image(bitmap, Math.max(1, Math.round(bitmap.width * k)), Math.max(1, Math.round(bitmap.height * k)));
  }
  const hasText = Boolean(config.title || config.artist);
  const layout = computeLayout(W, H, { hasText, textPosition: opt.text_position });
  const env = { W, H, opt, pal, images, layout, features: feats };
  const background = buildBackground(env);
  const overlay = buildOverlay(env, config);
  const scene = template.create(env);
  const captions = createCaptions(env, config);
  const ctx = canvas.getContext('2d', { alpha: false });
  const frameCount = feats.frameCount;

  function renderFrame(i) {
    const f = feats.frame(i);
    ctx.save();
    ctx.globalAlpha = 1;
    ctx.globalCompositeOperation = 'source-over';
    ctx.drawImage(background, 0, 0);
    ctx.save();
    scene.draw(ctx, f, i);
    ctx.restore();
    for (const [x, y, w, h] of overlay.rects) if (w > 0 && h > 0) ctx.drawImage(overlay.canvas, x, y, w, h, x, y, w, h);
    drawProgress(ctx, env, frameCount > 1 ? f.index / (frameCount - 1) : 1);
    if (captions) captions.draw(ctx, i);
    if (outputRange === 'limited') {
      ctx.fillStyle = LIMITED_OVERLAY;
      ctx.fillRect(0, 0, W, H);
    }
    ctx.restore();
  }

  return { canvas, width: W, height: H, fps: feats.fps, frameCount, features: feats, renderFrame };
}

// Module-level convenience API: one visualizer per page.
let current = null;

export async function init(config, features, opts = {}) {
  let canvas = opts.canvas || document.querySelector('canvas#stage');
  if (!canvas) {
    canvas = document.createElement('canvas');
    canvas.id = 'stage';
    document.body.appendChild(canvas);
  }
  current = await createVisualizer(canvas, config, features, opts);
  return { width: current.width, height: current.height, fps: current.fps, frameCount: current.frameCount };
}

export function renderFrame(i) {
  if (!current) throw new Error('call init(config, features) first');
  current.renderFrame(i);
}

export function visualizer() {
  return current;
}
