// The render settings, built from GET /templates: format (aspect ratio, resolution, fps), and
// each template's own options from its JSON Schema (colours, choices, switches, numbers, images).
// Options the person changed survive a switch to another template that has them too.
import { h } from '../dom.js';
import { setFieldError } from '../forms.js';
import { imageFileProblem } from './files.js';

const ASPECTS = { '16:9': 'Landscape 16:9', '1:1': 'Square 1:1', '9:16': 'Portrait 9:16' };
const ASPECT_USES = { '16:9': 'YouTube, the web', '1:1': 'feeds', '9:16': 'Reels, Shorts, TikTok' };

function gcd(a, b) { return b ? gcd(b, a % b) : a; }
export function aspectOf(size) {
  const [w, h] = size.split('x').map(Number);
  const d = gcd(w, h);
  return `${w / d}:${h / d}`;
}
function resolutionOf(size) { return `${Math.min(...size.split('x').map(Number))}p`; }
export const aspectName = (aspect) => ASPECTS[aspect] || aspect;
export const sizeText = (size) => size.replace('x', ' × ');

// The preview draws text the way the server will store it (control characters out, spaces collapsed).
export function cleanText(value) {
  return String(value || '').replace(/\p{C}/gu, ' ').replace(/\s+/g, ' ').trim();
}

function niceStep(spec) {
  if (spec.type === 'integer') return 1;
  const span = (spec.maximum ?? 1) - (spec.minimum ?? 0);
  return span <= 1 ? 0.01 : span <= 5 ? 0.05 : 0.1;
}

export class OptionsForm {
  // elements: {formats, resolution, previewFormat, previewFormatField, sizeHint, fps, title, artist, colors, controls, images}
  constructor(elements, { limits, onChange }) {
    Object.assign(this, elements);
    this.limits = limits;
    this.onChange = onChange;
    this.template = null;
    this.values = {};
    this.dirty = new Set();
    this.files = {}; // asset name -> File
    this.bitmaps = {}; // asset name -> ImageBitmap
    this.boxes = {}; // aspect -> checkbox
    for (const input of [this.title, this.artist, this.fps]) input.addEventListener('input', () => this.onChange());
    this.resolution.addEventListener('change', () => { this.showFormats(); this.onChange(); });
    this.previewFormat.addEventListener('change', () => this.onChange());
  }

  setCatalog(catalog) {
    const props = catalog.config_schema.properties;
    this.sizes = props.size.enum;
    this.maxFormats = (props.formats && props.formats.maxItems) || 1;
    const aspects = [...new Set(this.sizes.map(aspectOf))];
    const chosen = aspectOf(props.size.default);
    this.formats.replaceChildren(...aspects.map((aspect, index) => {
      const id = `format-${aspect.replace(':', 'x')}`;
      const box = h('input', { id, type: 'checkbox', value: aspect, checked: aspect === chosen,
        'data-api-field': index === 0 ? 'config.formats' : undefined,
        onChange: () => this.toggleFormat(box) });
      this.boxes[aspect] = box;
      return h('div', { class: 'check format-check' }, box,
        h('label', { for: id }, aspectName(aspect), ' ', h('span', { class: 'hint' }, ASPECT_USES[aspect] || '')));
    }));
    const classes = [...new Set(this.sizes.map(resolutionOf))].sort((a, b) => parseInt(b, 10) - parseInt(a, 10));
    this.resolution.replaceChildren(...classes.map((r) => h('option', { value: r }, r)));
    this.resolution.value = resolutionOf(props.size.default);
    this.fps.replaceChildren(...props.fps.enum.map((v) => h('option', { value: v }, `${v} fps`)));
    this.fps.value = String(props.fps.default);
    this.title.maxLength = props.title.maxLength;
    this.artist.maxLength = props.artist.maxLength;
    this.showFormats();
  }

  // At least one format stays ticked: unticking the last one is undone.
  toggleFormat(box) {
    if (!box.checked && !this.chosenAspects().length) box.checked = true;
    if (box.checked) this.previewFormat.dataset.wanted = box.value;
    this.showFormats();
    this.onChange();
  }

  chosenAspects() {
    return Object.keys(this.boxes).filter((aspect) => this.boxes[aspect].checked);
  }

  sizeFor(aspect) {
    return this.sizes.find((s) => aspectOf(s) === aspect && resolutionOf(s) === this.resolution.value)
      || this.sizes.find((s) => aspectOf(s) === aspect);
  }

  // The sizes the order renders, in the catalog's order of aspects (the first is `size`).
  chosenSizes() {
    return this.chosenAspects().map((aspect) => this.sizeFor(aspect));
  }

  showFormats() {
    const sizes = this.chosenSizes();
    const previous = this.previewFormat.dataset.wanted || this.previewFormat.value;
    this.previewFormat.replaceChildren(...sizes.map((s) => h('option', { value: aspectOf(s) }, aspectName(aspectOf(s)))));
    this.previewFormat.value = sizes.some((s) => aspectOf(s) === previous) ? previous : aspectOf(sizes[0]);
    delete this.previewFormat.dataset.wanted;
    this.previewFormatField.hidden = sizes.length < 2;
    if (this.sizeHint) {
      this.sizeHint.textContent = sizes.length > 1
        ? `${sizes.length} videos: ${sizes.map(sizeText).join(', ')} pixels.`
        : `The video will be ${sizeText(sizes[0])} pixels.`;
    }
  }

  // The size the preview draws: the chosen format shown in "Preview shows".
  previewSize() {
    return this.sizeFor(this.previewFormat.value) || this.chosenSizes()[0];
  }

  setTemplate(template) {
    const kept = {};
    for (const key of this.dirty) if (key in template.defaults) kept[key] = this.values[key];
    this.template = template;
    this.values = { ...template.defaults, ...kept };
    this.dirty = new Set(Object.keys(kept));
    this.buildControls();
  }

  changed(key, value) {
    this.values[key] = value;
    this.dirty.add(key);
    this.onChange();
  }

  buildControls() {
    const colors = [], controls = [], images = [];
    for (const [key, spec] of Object.entries(this.template.options_schema.properties)) {
      const id = `option-${key}`;
      const label = spec.title || key;
      if (spec['x-asset']) images.push(this.imageControl(key, spec, id));
      else if (spec.format === 'color') {
        colors.push(h('div', { class: 'field color-field' }, h('label', { for: id }, label),
          h('input', { id, type: 'color', value: this.values[key], 'data-api-field': `config.options.${key}`,
            onInput: (e) => this.changed(key, e.target.value) })));
      } else if (spec.enum) {
        controls.push(h('div', { class: 'field' }, h('label', { for: id }, label),
          h('select', { id, 'data-api-field': `config.options.${key}`, onChange: (e) => this.changed(key, e.target.value) },
            spec.enum.map((v) => h('option', { value: v, selected: v === this.values[key] }, v.replace(/-/g, ' '))))));
      } else if (spec.type === 'boolean') {
        controls.push(h('div', { class: 'check' },
          h('input', { id, type: 'checkbox', checked: Boolean(this.values[key]), 'data-api-field': `config.options.${key}`,
            onChange: (e) => this.changed(key, e.target.checked) }), h('label', { for: id }, label)));
      } else if (spec.type === 'number' || spec.type === 'integer') {
        const output = h('output', { for: id, id: `${id}-value` }, String(this.values[key]));
        controls.push(h('div', { class: 'field range-field' }, h('label', { for: id }, label, ' ', output),
          h('input', { id, type: 'range', min: spec.minimum, max: spec.maximum, step: niceStep(spec), value: this.values[key],
            'data-api-field': `config.options.${key}`,
            onInput: (e) => { output.textContent = e.target.value; this.changed(key, Number(e.target.value)); } })));
      }
    }
    this.colors.replaceChildren(...colors);
    this.controls.replaceChildren(...controls);
    this.images.replaceChildren(...images);
  }

  imageControl(key, spec, id) {
    const name = key.replace(/_image$/, '');
    const input = h('input', { id, type: 'file', accept: 'image/png,image/jpeg,image/webp', 'data-api-field': name,
      'aria-describedby': `${id}-hint` });
    const chosen = h('span', { class: 'hint', id: `${id}-hint` }, spec.description || 'PNG, JPEG or WebP.');
    if (this.files[name]) { // the image chosen under another template: show it in this field too
      try {
        const carried = new DataTransfer();
        carried.items.add(this.files[name]);
        input.files = carried.files;
      } catch {
        chosen.textContent = `Chosen: ${this.files[name].name}`;
      }
    }
    const remove = h('button', { type: 'button', class: 'secondary button-small', hidden: !this.files[name] }, `Remove ${(spec.title || name).toLowerCase()}`);
    input.addEventListener('change', async () => {
      const file = input.files && input.files[0];
      setFieldError(input, '');
      const problem = imageFileProblem(file, this.limits, (spec.title || name).toLowerCase());
      if (!file) return;
      if (problem) { setFieldError(input, problem); input.value = ''; return; }
      try {
        this.bitmaps[name] = await createImageBitmap(file);
      } catch {
        setFieldError(input, `This ${(spec.title || name).toLowerCase()} cannot be read as an image.`);
        input.value = '';
        return;
      }
      this.files[name] = file;
      remove.hidden = false;
      this.changed(key, name);
    });
    remove.addEventListener('click', () => {
      delete this.files[name];
      delete this.bitmaps[name];
      input.value = '';
      remove.hidden = true;
      this.changed(key, null);
      input.focus();
    });
    if (this.files[name]) this.values[key] = name;
    return h('div', { class: 'field image-field' }, h('label', { for: id }, spec.title || key), input, chosen, remove);
  }

  // The config for the API (and, with cleanText applied, for the preview: one format, the one shown).
  config({ forPreview = false } = {}) {
    const text = (value) => (forPreview ? cleanText(value) : value);
    const sizes = this.chosenSizes();
    return {
      template: this.template.id, size: forPreview ? this.previewSize() : sizes[0],
      ...(!forPreview && sizes.length > 1 ? { formats: sizes } : {}),
      fps: Number(this.fps.value), title: text(this.title.value), artist: text(this.artist.value),
      options: { ...this.values },
    };
  }

  // Images the current template uses: {asset name: File} (to upload) / {asset name: ImageBitmap}.
  usedImages(source = this.files) {
    const used = {};
    for (const [key, value] of Object.entries(this.values)) {
      if (key.endsWith('_image') && value && source[value]) used[value] = source[value];
    }
    return used;
  }
}
