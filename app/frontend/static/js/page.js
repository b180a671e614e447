// What every page does first: error handlers, the navigation for who is signed in, the session.
import { NetworkError } from './api.js';
import { installGlobalHandlers, showBanner } from './alerts.js';
import { $$ } from './dom.js';
import { logOut, onUserChange, requireSession, restoreSession } from './session.js';

function markCurrentLink() {
  for (const link of $$('.site-nav a')) {
    if (link.getAttribute('href') === window.location.pathname) link.setAttribute('aria-current', 'page');
  }
}

function showNavFor(user) {
  for (const item of $$('[data-when]')) {
    item.hidden = (item.dataset.when === 'signed-in') !== Boolean(user);
  }
}

// startPage({auth: 'required' | 'optional' | 'none'}) -> the signed-in user or null.
// Once the page's module has bound its forms and knows who is signed in, <html data-ready>
// says so (the end-to-end tests wait for it before they type or click).
export async function startPage(options = {}) {
  const user = await setUpPage(options);
  document.documentElement.dataset.ready = 'true';
  return user;
}

async function setUpPage({ auth = 'optional' } = {}) {
  installGlobalHandlers();
  markCurrentLink();
  onUserChange(showNavFor);
  for (const button of $$('[data-action="logout"]')) {
    button.addEventListener('click', () => logOut().catch((err) => showBanner(err)));
  }
  if (auth === 'none') return null;
  for (;;) {
    try {
      return auth === 'required' ? await requireSession() : await restoreSession();
    } catch (err) {
      if (!(err instanceof NetworkError)) throw err;
      // cannot reach the server: say so, and try again when asked (or when back online)
      await new Promise((resolve) => {
        showBanner(err, { retry: resolve });
        window.addEventListener('online', resolve, { once: true });
      });
    }
  }
}
