// Create an account: the answer is a first login, so the person goes straight to the create page.
import { $ } from '../dom.js';
import { bindForm, bindShowPassword, checks } from '../forms.js';
import { startPage } from '../page.js';
import { signUp } from '../session.js';

const form = $('#signup-form');
const email = form.elements.email;
const password = form.elements.password;
bindShowPassword(form);
bindForm(form, {
  alert: $('#signup-alert'),
  button: $('#signup-submit'),
  busyLabel: 'Creating your account…',
  checks: [[email, checks.email], [password, checks.password]],
  submit: async () => {
    await signUp(email.value.trim(), password.value);
    window.location.assign('/create');
  },
});

const user = await startPage({ auth: 'optional' });
if (user) window.location.replace('/create');
else email.focus();
