// Ask for a reset link; the answer is the same whether or not the account exists.
import { api } from '../api.js';
import { $ } from '../dom.js';
import { bindForm, checks } from '../forms.js';
import { startPage } from '../page.js';

const form = $('#forgot-form');
const email = form.elements.email;
const done = $('#forgot-done');
bindForm(form, {
  alert: $('#forgot-alert'),
  button: $('#forgot-submit'),
  busyLabel: 'Sending…',
  checks: [[email, checks.email]],
  submit: async () => {
    done.textContent = '';
    const answer = await api('auth/password-reset', { method: 'POST', auth: false, json: { email: email.value.trim() } });
    done.textContent = `${answer.message} Check your inbox (and the spam folder).`;
  },
});
await startPage({ auth: 'none' });
