// "Your data": downloading everything parley keeps about you (GET /users/me/export) and erasing the
// account for good (DELETE /users/me, with the password). Its own section of the page, wired by
// app.js; it reads the session and ends it through session.js, like the other modules.

import { $ } from './dom.js';
import { api, requestProblem } from './api.js';
import { endSession } from './session.js';
import { state } from './state.js';

const ERASED = 'Your account has been deleted. Your messages stay in others\u2019 histories without your name or text.';

/** A download of the export: fetched with the bearer token (a plain link could not send it), saved as a file. */
async function downloadMyData(status) {
  status.textContent = 'Preparing your data…';
  try {
    const res = await fetch('/users/me/export', { headers: { Authorization: `Bearer ${state.session.access_token}` } });
    if (!res.ok) {
      const body = await res.json().catch(() => null);
      throw Object.assign(new Error(body?.error?.message || `request failed (${res.status})`), { status: res.status });
    }
    const name = /filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') ?? '')?.[1] ?? 'parley-data.json';
    const url = URL.createObjectURL(await res.blob());
    const link = document.createElement('a');
    link.href = url;
    link.download = name;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    status.textContent = `Downloaded ${name}.`;
  } catch (error) {
    status.textContent = `Could not download your data: ${requestProblem(error)}`;
  }
}

async function deleteAccount(form, status) {
  const password = form.elements.password.value;
  if (!password) {
    status.textContent = 'Enter your password to confirm.';
    form.elements.password.focus();
    return;
  }
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  status.textContent = 'Deleting your account…';
  try {
    await api('DELETE', '/users/me', { password }, state.session.access_token);
    form.reset();
    endSession(ERASED);
  } catch (error) {
    status.textContent =
      error.status === 401 && error.code === 'invalid_credentials'
        ? 'That password is not right; nothing was deleted.'
        : `Could not delete your account: ${requestProblem(error)}`;
    form.elements.password.select();
  } finally {
    button.disabled = false;
  }
}

export function bindPrivacy() {
  const status = $('privacy-status');
  $('download-data').addEventListener('click', () => downloadMyData(status));
  const form = $('delete-account');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    deleteAccount(form, status);
  });
}
