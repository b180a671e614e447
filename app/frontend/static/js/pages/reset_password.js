// The page the reset email links to: /reset-password?token=... sets a new password.
import { api } from '../api.js';
import { showMessage } from '../alerts.js';
import { $, h } from '../dom.js';
import { bindForm, bindShowPassword, checks } from '../forms.js';
import { startPage } from '../page.js';

const token = new URLSearchParams(window.location.search).get('token') || '';
// keep the single-use token out of the address bar, the history and any later Referer
if (token) window.history.replaceState(null, '', window.location.pathname);

const form = $('#reset-form');
const alert = $('#reset-alert');
const password = form.elements.password;
const again = form.elements.password_again;
bindShowPassword(form);

if (!token) {
  form.hidden = true;
  showMessage(alert, 'This link has no reset token. Ask for a new link from the "Forgot your password?" page.');
  alert.append(h('p', {}, h('a', { href: '/forgot-password' }, 'Ask for a new link')));
} else {
  bindForm(form, {
    alert,
    button: $('#reset-submit'),
    busyLabel: 'Saving…',
    checks: [[password, checks.password], [again, checks.sameAs(password, 'The second password')]],
    submit: async () => {
      await api('auth/password-reset/confirm', { method: 'POST', auth: false, json: { token, password: password.value } });
      form.hidden = true;
      $('#reset-done').textContent = 'Your password has been changed. Every earlier login has been signed out.';
      $('#reset-next').hidden = false;
      $('#reset-next a').focus();
    },
  });
  password.focus();
}
await startPage({ auth: 'none' });
