// The landing page: what Waveframe does, the templates moving, and the way in.
import { api } from '../api.js';
import { showError } from '../alerts.js';
import { $ } from '../dom.js';
import { templateShowcase } from '../create/gallery.js';
import { startPage } from '../page.js';

async function showTemplates() {
  try {
    const catalog = await api('templates', { auth: false });
    templateShowcase($('#home-templates'), catalog.items);
  } catch (err) {
    showError($('#home-alert'), err, { retry: showTemplates });
  }
}

showTemplates();
await startPage({ auth: 'optional' });
