// Forms: our own validation messages (shown as text next to the field and in the alert), a busy
// submit button, and the API's field errors put back on the fields they name.
import { ApiError, SessionLost } from './api.js';
import { clearAlert, showError, showMessage } from './alerts.js';
import { h } from './dom.js';

function errorSlot(input) {
  const id = `${input.id}-error`;
  let slot = document.getElementById(id);
  if (!slot) {
    slot = h('p', { id, class: 'field-error' });
    (input.closest('.field') || input.parentElement).append(slot);
  }
  const described = new Set((input.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean));
  described.add(id);
  input.setAttribute('aria-describedby', [...described].join(' '));
  return slot;
}

export function setFieldError(input, message) {
  if (!input) return;
  const slot = errorSlot(input);
  slot.textContent = message || '';
  slot.hidden = !message;
  if (message) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

export function clearFieldErrors(form) {
  for (const input of form.querySelectorAll('[aria-invalid="true"]')) setFieldError(input, '');
}

// The API names fields "email" or "config.trim_end"; inputs carry data-api-field when it differs.
function inputForApiField(form, name) {
  return form.querySelector(`[data-api-field="${CSS.escape(name)}"]`) || form.elements.namedItem(name.split('.').pop());
}

export function showFieldErrors(form, err) {
  const fields = err instanceof ApiError && err.details && err.details.fields;
  if (!fields) return null;
  let first = null;
  for (const [name, messages] of Object.entries(fields)) {
    const input = inputForApiField(form, name);
    if (input instanceof HTMLElement) {
      setFieldError(input, Array.isArray(messages) ? messages.join(' ') : String(messages));
      first ??= input;
    }
  }
  return first;
}

// The button's label is its <span> when it has an icon, else its text.
export function setBusy(button, busy, busyLabel) {
  if (!button) return;
  const label = button.querySelector('span') || button;
  if (busy) {
    if (button.dataset.label === undefined) button.dataset.label = label.textContent;
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    if (busyLabel) label.textContent = busyLabel;
  } else {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    if (button.dataset.label !== undefined) label.textContent = button.dataset.label;
    delete button.dataset.label;
  }
}

// Checks run before submitting: [input, () => message or ''] pairs.
function validate(form, checks) {
  let first = null;
  for (const [input, check] of checks) {
    const message = check(input.value, input) || '';
    setFieldError(input, message);
    if (message) first ??= input;
  }
  return first;
}

export const checks = {
  required: (label) => (value) => (String(value).trim() ? '' : `${label} is required.`),
  email: (value) => (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(String(value).trim()) ? '' : 'Enter an email address like name@example.com.'),
  password: (value) => (String(value).length >= 10 ? '' : 'Use at least 10 characters.'),
  sameAs: (other, label) => (value) => (value === other.value ? '' : `${label} does not match.`),
};

// bindForm(form, {alert, button, checks: [[input, fn], ...], submit: async (form) => ..., busyLabel})
export function bindForm(form, { alert, button, checks: fieldChecks = [], submit, busyLabel }) {
  form.noValidate = true;
  const run = async () => {
    clearAlert(alert);
    clearFieldErrors(form);
    const invalid = validate(form, fieldChecks);
    if (invalid) {
      showMessage(alert, 'Please correct the highlighted fields.');
      invalid.focus();
      return;
    }
    setBusy(button, true, busyLabel);
    try {
      await submit(form);
    } catch (err) {
      if (err instanceof SessionLost) return;
      showError(alert, err, { retry: run });
      const field = showFieldErrors(form, err);
      if (field) field.focus();
    } finally {
      setBusy(button, false, busyLabel);
    }
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    run();
  });
  return run;
}

// <input type="checkbox" data-shows="id1 id2"> reveals the named password fields while checked.
export function bindShowPassword(root = document) {
  for (const box of root.querySelectorAll('input[type="checkbox"][data-shows]')) {
    box.addEventListener('change', () => {
      for (const id of box.dataset.shows.split(/\s+/)) {
        const input = document.getElementById(id);
        if (input) input.type = box.checked ? 'text' : 'password';
      }
    });
  }
}
