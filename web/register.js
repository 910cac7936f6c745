// "Create an account": checks what is plainly missing, sends the rest to POST /users/create, puts the
// API's errors under the fields they are about, then logs the new account in.

import { api, requestProblem } from './api.js';
import { $, el } from './dom.js';
import { enterChat } from './forms.js';
import { state } from './state.js';
import { sentence, showLoginError } from './views.js';

/** The form's fields, named as the API names them (POST /users/create). */
const FIELDS = ['username', 'email', 'password', 'first_name', 'last_name'];
const input = (field) => el.registerForm.elements.namedItem(field);
const labelOf = (field) => document.querySelector(`label[for="${input(field).id}"]`).textContent;

export function clearRegisterErrors() {
  showFieldErrors({});
  el.registerError.hidden = true;
  el.registerError.textContent = '';
}

/** Puts each message under its field (and marks the field invalid); focuses the first one. True if there was any. */
function showFieldErrors(errors, focus = false) {
  for (const field of FIELDS) setFieldError(field, errors[field]);
  const first = FIELDS.find((field) => errors[field]);
  if (first && focus) input(first).focus();
  return Boolean(first);
}

function setFieldError(field, message) {
  const slot = $(`register-${field}-error`);
  slot.hidden = !message;
  slot.textContent = message || '';
  if (message) input(field).setAttribute('aria-invalid', 'true');
  else input(field).removeAttribute('aria-invalid');
}

/** The server names fields as the API does ("first_name must …"); under the field, its label reads better. */
function fieldMessage(field, message) {
  const text = String(message);
  const apiNamed = FIELDS.includes(field) && text.startsWith(`${field} `);
  return sentence(apiNamed ? labelOf(field) + text.slice(field.length) : text);
}

/**
 * What is plainly missing, before asking the server: every attempt counts against the per-address
 * sign-up limit. The finer rules (allowed characters, reserved names) stay the server's to judge.
 */
function missingFields(form) {
  const errors = {};
  if (!form.username) errors.username = 'Choose a username.';
  if (!form.email) errors.email = 'Enter your email address.';
  else if (input('email').validity.typeMismatch) errors.email = 'Enter an email address like name@example.com.';
  const minimum = input('password').minLength;
  if (!form.password) errors.password = 'Choose a password.';
  else if ([...form.password].length < minimum) errors.password = `Use at least ${minimum} characters.`;
  return errors;
}

/** The API's error, per field where it says which field (409 taken, 422 per-field details, 400 schema paths). */
function fieldErrorsOf(error) {
  if (error.code === 'username_taken') return { username: 'This username is taken. Choose another one.' };
  if (error.code === 'email_taken') return { email: 'An account with this email already exists. Log in instead?' };
  const errors = {};
  if (error.code === 'validation_failed' && error.details && typeof error.details === 'object') {
    for (const [field, message] of Object.entries(error.details)) errors[field] = fieldMessage(field, message);
  }
  if (error.code === 'invalid_request' && Array.isArray(error.details)) {
    for (const { path, message } of error.details) {
      const field = String(path).replace(/^\//, '');
      errors[field] ??= fieldMessage(field, `${field} ${message}`);
    }
  }
  return errors;
}

function formatWait(seconds) {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return `${hours} hour${hours === 1 ? '' : 's'}${rest ? ` ${rest} minute${rest === 1 ? '' : 's'}` : ''}`;
}

function showRegisterError(error) {
  let message = requestProblem(error);
  if (error.code === 'rate_limited') {
    const wait = error.retryAfter;
    message = `Too many sign-ups from your network. Try again in ${wait ? formatWait(wait) : 'a while'}.`;
    // Trying sooner only counts against the limit again, so the button waits too.
    if (wait) {
      el.registerSubmit.disabled = true;
      clearTimeout(state.register.blockedTimer);
      state.register.blockedTimer = setTimeout(() => {
        state.register.blockedTimer = null;
        el.registerSubmit.disabled = false;
        el.registerError.hidden = true;
      }, wait * 1000);
    }
  }
  el.registerError.hidden = false;
  el.registerError.textContent = message;
}

function readForm() {
  const form = {};
  for (const field of FIELDS) form[field] = field === 'password' ? input(field).value : input(field).value.trim();
  return form;
}

async function submit() {
  if (state.register.blockedTimer) return;
  const form = readForm();
  clearRegisterErrors();
  if (showFieldErrors(missingFields(form), true)) return;

  const body = { username: form.username, email: form.email, password: form.password };
  // The names are optional: left empty, they are not sent at all.
  if (form.first_name) body.first_name = form.first_name;
  if (form.last_name) body.last_name = form.last_name;

  el.registerSubmit.disabled = true;
  let created;
  try {
    created = await api('POST', '/users/create', body);
  } catch (error) {
    const errors = fieldErrorsOf(error);
    const unplaced = Object.keys(errors).filter((field) => !FIELDS.includes(field));
    if (!showFieldErrors(errors, true) || unplaced.length > 0) showRegisterError(error);
    if (!state.register.blockedTimer) el.registerSubmit.disabled = false;
    return;
  }
  try {
    await enterChat(created.username, form.password);
    el.registerForm.reset();
  } catch (error) {
    // The account exists now; only the login failed, so hand over to the login form.
    el.loginUser.value = created.username;
    const problem = sentence(requestProblem(error));
    showLoginError(`Your account ${created.username} was created, but logging in failed: ${problem} Log in here.`);
    el.registerForm.reset();
    el.loginPass.focus();
  } finally {
    el.registerSubmit.disabled = false;
  }
}

export function bindRegister() {
  el.registerForm.addEventListener('submit', (event) => {
    event.preventDefault();
    submit();
  });

  // On narrow screens the form is below the login card: take the person there, ready to type.
  el.toRegister.addEventListener('click', (event) => {
    event.preventDefault();
    el.registerForm.scrollIntoView({ block: 'start' });
    input('username').focus({ preventScroll: true });
  });

  // Editing a field takes its error away: it may be right now.
  el.registerForm.addEventListener('input', (event) => {
    if (FIELDS.includes(event.target.name)) setFieldError(event.target.name, null);
  });
}
