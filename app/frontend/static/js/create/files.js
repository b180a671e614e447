// Choosing files: the audio drop zone / picker and the checks made before anything is uploaded.
// The server judges the audio by its content; here only the name, the type and the size are
// checked, so a file that slips through gets the server's own answer, shown verbatim.

export const AUDIO_EXTENSIONS = ['mp3', 'wav', 'wave', 'flac', 'ogg', 'oga', 'opus', 'm4a', 'mp4', 'aac', 'aif', 'aiff',
  'aifc', 'webm', 'weba', 'wma', 'mka', 'caf', 'wv', 'ape', 'amr', 'au', 'snd', 'mpc', 'w64'];
export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp'];
const IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg', 'webp'];
const MB = 1024 * 1024;

function extension(name) {
  const match = /\.([A-Za-z0-9]+)$/.exec(name || '');
  return match ? match[1].toLowerCase() : '';
}

function sizeInMb(bytes) {
  return bytes >= 10 * MB ? Math.round(bytes / MB) : (bytes / MB).toFixed(1);
}

// '' when the file may be sent, else why not.
export function audioFileProblem(file, { maxUploadMb }) {
  if (!file) return 'Choose an audio file.';
  const ext = extension(file.name);
  const typeOk = (file.type || '').startsWith('audio/') || (file.type === 'video/mp4' && ext === 'mp4')
    || (file.type === 'video/webm' && ext === 'webm');
  if (!AUDIO_EXTENSIONS.includes(ext) && !typeOk) {
    return `"${file.name}" does not look like an audio file. Choose an MP3, WAV, FLAC, OGG, M4A or similar file.`;
  }
  if (file.size === 0) return `"${file.name}" is empty.`;
  if (file.size > maxUploadMb * MB) {
    return `"${file.name}" is ${sizeInMb(file.size)} MB; the largest file you can upload is ${maxUploadMb} MB.`;
  }
  return '';
}

export function imageFileProblem(file, { maxImageMb }, label) {
  if (!file) return '';
  const typeOk = IMAGE_TYPES.includes(file.type) || IMAGE_EXTENSIONS.includes(extension(file.name));
  if (!typeOk) return `The ${label} must be a PNG, JPEG or WebP image.`;
  if (file.size > maxImageMb * MB) return `The ${label} is ${sizeInMb(file.size)} MB; the limit is ${maxImageMb} MB.`;
  return '';
}

// Wire a file input and a drop zone: onFile(file) for each file chosen either way.
export function bindAudioPicker({ input, zone, onFile }) {
  input.addEventListener('change', () => {
    if (input.files && input.files[0]) onFile(input.files[0]);
  });
  let depth = 0;
  const hasFiles = (event) => [...(event.dataTransfer?.types || [])].includes('Files');
  zone.addEventListener('dragenter', (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    depth += 1;
    zone.classList.add('dragging');
  });
  zone.addEventListener('dragover', (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
  });
  zone.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (!depth) zone.classList.remove('dragging');
  });
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    depth = 0;
    zone.classList.remove('dragging');
    const file = event.dataTransfer.files && event.dataTransfer.files[0];
    if (file) onFile(file);
  });
  // a file dropped next to the zone must not make the browser leave the page for it
  for (const type of ['dragover', 'drop']) {
    window.addEventListener(type, (event) => {
      if (hasFiles(event) && !zone.contains(event.target)) event.preventDefault();
    });
  }
}
