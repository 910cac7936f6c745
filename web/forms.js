// The login form, the composer and the log-out button. Creating an account is register.js.

import { requestProblem } from './api.js';
import { el } from './dom.js';
import { endSession, logIn } from './session.js';
import { connect, submitLine } from './socket.js';
import { sentence, showChat, showLoginError } from './views.js';

/** Logs in and opens the chat; throws what logIn throws. */
export async function enterChat(username, password) {
  await logIn(username, password);
  showChat();
  connect();
}

export function bindForms() {
  el.loginForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const username = el.loginUser.value.trim();
    const password = el.loginPass.value;
    if (!username || !password) {
      showLoginError('Enter your username and password.');
      return;
    }
    el.loginSubmit.disabled = true;
    showLoginError(null);
    try {
      await enterChat(username, password);
    } catch (error) {
      showLoginError(error.status === 401 ? 'Incorrect username or password.' : sentence(requestProblem(error)));
    } finally {
      el.loginSubmit.disabled = false;
    }
  });

  el.logout.addEventListener('click', () => endSession(null));

  el.composer.addEventListener('submit', (event) => {
    event.preventDefault();
    const line = el.input.value;
    if (line.trim() === '') return;
    submitLine(line);
    el.input.value = '';
  });
}
