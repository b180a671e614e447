// Change the email or the password (both need the current password). Nothing here deletes
// anything; a password change signs out other devices and keeps this one signed in.
import { $ } from '../dom.js';
import { bindForm, bindShowPassword, checks } from '../forms.js';
import { startPage } from '../page.js';
import { onUserChange, updateAccount } from '../session.js';

const emailForm = $('#email-form');
const passwordForm = $('#password-form');
bindShowPassword(passwordForm);

bindForm(emailForm, {
  alert: $('#email-alert'),
  button: $('#email-submit'),
  busyLabel: 'Saving…',
  checks: [[emailForm.elements.email, checks.email], [emailForm.elements.current_password, checks.required('Your current password')]],
  submit: async () => {
    $('#email-done').textContent = '';
    const user = await updateAccount({ email: emailForm.elements.email.value.trim(), current_password: emailForm.elements.current_password.value });
    emailForm.reset();
    $('#email-done').textContent = `Your email is now ${user.email}. We told your previous address about the change.`;
  },
});

bindForm(passwordForm, {
  alert: $('#password-alert'),
  button: $('#password-submit'),
  busyLabel: 'Saving…',
  checks: [
    [passwordForm.elements.current_password, checks.required('Your current password')],
    [passwordForm.elements.password, checks.password],
    [passwordForm.elements.password_again, checks.sameAs(passwordForm.elements.password, 'The second password')],
  ],
  submit: async () => {
    $('#password-done').textContent = '';
    await updateAccount({ password: passwordForm.elements.password.value, current_password: passwordForm.elements.current_password.value });
    passwordForm.reset();
    $('#password-done').textContent = 'Your password has been changed. Other devices have been signed out.';
  },
});

onUserChange((user) => {
  if (!user) return;
  $('#account-email').textContent = user.email;
  $('#password-username').value = user.email; // lets password managers file the new password
});
await startPage({ auth: 'required' });
