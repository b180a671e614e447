// Title and artist from the audio file's own tags (ID3v2/ID3v1, FLAC and Ogg Vorbis comments,
// MP4 ilst, WAV LIST/INFO), read in the browser. The values are untrusted text: they are only
// ever put into input values and text nodes, never parsed as HTML.

const MAX_TEXT = 300;

async function bytes(file, start, end) {
  return new Uint8Array(await file.slice(start, end).arrayBuffer());
}

function ascii(view, start, length) {
  let s = '';
  for (let i = start; i < start + length && i < view.length; i++) s += String.fromCharCode(view[i]);
  return s;
}

function decode(data, encoding) {
  try {
    return new TextDecoder(encoding).decode(data);
  } catch {
    return '';
  }
}

function clean(text) {
  const value = String(text || '').split('\u0000')[0].replace(/\s+/g, ' ').trim();
  return value.slice(0, MAX_TEXT);
}

function syncsafe(b, i) {
  return ((b[i] & 0x7f) << 21) | ((b[i + 1] & 0x7f) << 14) | ((b[i + 2] & 0x7f) << 7) | (b[i + 3] & 0x7f);
}

function id3Text(frame) {
  if (!frame.length) return '';
  const body = frame.subarray(1);
  switch (frame[0]) {
    case 0: return decode(body, 'latin1');
    case 1: return decode(body, 'utf-16'); // with a BOM
    case 2: return decode(body, 'utf-16be');
    case 3: return decode(body, 'utf-8');
    default: return '';
  }
}

async function readId3v2(file) {
  const head = await bytes(file, 0, 10);
  if (ascii(head, 0, 3) !== 'ID3') return null;
  const version = head[3];
  const size = syncsafe(head, 6);
  const tag = await bytes(file, 10, 10 + Math.min(size, 4 * 1024 * 1024));
  const found = {};
  const names = version === 2 ? { TT2: 'title', TP1: 'artist' } : { TIT2: 'title', TPE1: 'artist' };
  const idLength = version === 2 ? 3 : 4;
  const headerLength = version === 2 ? 6 : 10;
  let pos = 0;
  if (version >= 3 && head[5] & 0x40) pos = version === 4 ? syncsafe(tag, 0) : 4 + ((tag[0] << 24) | (tag[1] << 16) | (tag[2] << 8) | tag[3]);
  while (pos + headerLength <= tag.length) {
    const id = ascii(tag, pos, idLength);
    if (!/^[A-Z0-9]+$/.test(id)) break; // padding
    let frameSize;
    if (version === 2) frameSize = (tag[pos + 3] << 16) | (tag[pos + 4] << 8) | tag[pos + 5];
    else if (version === 4) frameSize = syncsafe(tag, pos + 4);
    else frameSize = ((tag[pos + 4] << 24) | (tag[pos + 5] << 16) | (tag[pos + 6] << 8) | tag[pos + 7]) >>> 0;
    const start = pos + headerLength;
    if (frameSize <= 0 || start + frameSize > tag.length) break;
    if (names[id]) found[names[id]] = clean(id3Text(tag.subarray(start, start + frameSize)));
    pos = start + frameSize;
  }
  return found;
}

async function readId3v1(file) {
  if (file.size < 128) return null;
  const tail = await bytes(file, file.size - 128, file.size);
  if (ascii(tail, 0, 3) !== 'TAG') return null;
  return { title: clean(decode(tail.subarray(3, 33), 'latin1')), artist: clean(decode(tail.subarray(33, 63), 'latin1')) };
}

function vorbisComments(data, offset) {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const found = {};
  let pos = offset;
  const u32 = () => { const v = view.getUint32(pos, true); pos += 4; return v; };
  try {
    const vendorLength = u32();
    pos += vendorLength; // the vendor string
    const count = u32();
    for (let i = 0; i < count && pos < data.length; i++) {
      const length = u32();
      const entry = decode(data.subarray(pos, pos + length), 'utf-8');
      pos += length;
      const eq = entry.indexOf('=');
      const key = entry.slice(0, eq).toUpperCase();
      if (key === 'TITLE' && !found.title) found.title = clean(entry.slice(eq + 1));
      if (key === 'ARTIST' && !found.artist) found.artist = clean(entry.slice(eq + 1));
    }
  } catch {
    // a comment block cut short (e.g. across Ogg pages): keep what was read
  }
  return found;
}

async function readFlac(file) {
  const data = await bytes(file, 0, 256 * 1024);
  if (ascii(data, 0, 4) !== 'fLaC') return null;
  let pos = 4;
  while (pos + 4 <= data.length) {
    const last = data[pos] & 0x80, type = data[pos] & 0x7f;
    const length = (data[pos + 1] << 16) | (data[pos + 2] << 8) | data[pos + 3];
    if (type === 4) return vorbisComments(data.subarray(0, Math.min(data.length, pos + 4 + length)), pos + 4);
    if (last) break;
    pos += 4 + length;
  }
  return {};
}

async function readOgg(file) {
  const data = await bytes(file, 0, 64 * 1024);
  if (ascii(data, 0, 4) !== 'OggS') return null;
  for (const [marker, skip] of [['\u0003vorbis', 7], ['OpusTags', 8]]) {
    const at = ascii(data, 0, data.length).indexOf(marker);
    if (at >= 0) return vorbisComments(data, at + skip);
  }
  return {};
}

// MP4: moov > udta > meta > ilst > (©nam | ©ART) > data
async function readMp4(file) {
  const head = await bytes(file, 0, 12);
  if (ascii(head, 4, 4) !== 'ftyp') return null;
  let pos = 0;
  while (pos + 8 <= file.size) { // find moov among the top-level boxes (it may be at the end)
    const box = await bytes(file, pos, pos + 16);
    let size = new DataView(box.buffer).getUint32(0);
    if (size === 1) size = Number(new DataView(box.buffer).getBigUint64(8));
    if (size < 8) return {};
    if (ascii(box, 4, 4) === 'moov') return mp4Ilst(await bytes(file, pos, pos + Math.min(size, 16 * 1024 * 1024)));
    pos += size;
  }
  return {};
}

function mp4Ilst(moov) {
  const view = new DataView(moov.buffer);
  const found = {};
  const walk = (start, end, path) => {
    let pos = start;
    while (pos + 8 <= end) {
      const size = view.getUint32(pos);
      const type = ascii(moov, pos + 4, 4);
      if (size < 8 || pos + size > end) return;
      const inner = type === 'meta' ? pos + 12 : pos + 8;
      if (['moov', 'udta', 'meta', 'ilst'].includes(type)) walk(inner, pos + size, [...path, type]);
      else if (path[path.length - 1] === 'ilst' && (type === '\u00a9nam' || type === '\u00a9ART')) {
        if (ascii(moov, pos + 12, 4) === 'data') {
          const text = clean(decode(moov.subarray(pos + 24, pos + size), 'utf-8'));
          found[type === '\u00a9nam' ? 'title' : 'artist'] = text;
        }
      }
      pos += size;
    }
  };
  walk(8, moov.length, ['moov']);
  return found;
}

async function readWavInfo(file) {
  const data = await bytes(file, 0, 256 * 1024);
  if (ascii(data, 0, 4) !== 'RIFF' || ascii(data, 8, 4) !== 'WAVE') return null;
  const view = new DataView(data.buffer);
  const found = {};
  let pos = 12;
  while (pos + 8 <= data.length) {
    const id = ascii(data, pos, 4), size = view.getUint32(pos + 4, true);
    if (id === 'LIST' && ascii(data, pos + 8, 4) === 'INFO') {
      let sub = pos + 12;
      while (sub + 8 <= Math.min(pos + 8 + size, data.length)) {
        const subId = ascii(data, sub, 4), subSize = view.getUint32(sub + 4, true);
        const text = clean(decode(data.subarray(sub + 8, sub + 8 + subSize), 'utf-8'));
        if (subId === 'INAM') found.title = text;
        if (subId === 'IART') found.artist = text;
        sub += 8 + subSize + (subSize % 2);
      }
    }
    pos += 8 + size + (size % 2);
  }
  return found;
}

// {title?, artist?} from whatever tags the file carries; {} when none (never throws).
export async function readTags(file) {
  for (const reader of [readId3v2, readFlac, readOgg, readMp4, readWavInfo, readId3v1]) {
    try {
      const found = await reader(file);
      if (found && (found.title || found.artist)) return found;
    } catch {
      // a malformed tag: try the next kind
    }
  }
  return {};
}
