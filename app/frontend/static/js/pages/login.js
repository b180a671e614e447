// Log in, then go back where the person was going (a same-site path only).
import { $ } from '../dom.js';
import { bindForm, bindShowPassword, checks } from '../forms.js';
import { startPage } from '../page.js';
import { LOGIN_REASONS, logIn, safeNext } from '../session.js';

const params = new URLSearchParams(window.location.search);
const next = safeNext(params.get('next'));
const reason = $('#login-reason');
reason.textContent = LOGIN_REASONS[params.get('reason')] || '';

const form = $('#login-form');
const email = form.elements.email;
const password = form.elements.password;
bindShowPassword(form);
bindForm(form, {
  alert: $('#login-alert'),
  button: $('#login-submit'),
  busyLabel: 'Logging in…',
  checks: [[email, checks.email], [password, checks.required('Password')]],
  submit: async () => {
    await logIn(email.value.trim(), password.value);
    window.location.assign(next);
  },
});

const user = await startPage({ auth: 'optional' });
if (user && !params.get('reason')) window.location.replace(next);
else email.focus();
