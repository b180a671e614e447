// The template registry. Ids match app/rendering/catalog.py.
import * as bars from './bars.js';
import * as particles from './particles.js';
import * as radial from './radial.js';
import * as wave from './wave.js';

export const TEMPLATES = Object.freeze({ bars, wave, radial, particles });
