// The login session: keeps the token pair (in sessionStorage, so a reload keeps you logged in and
// closing the tab does not), renews the access token before it expires, and ends the session.
// It tells the rest of the page through `sessionEvents` rather than calling into it.

import { api } from './api.js';
import { state } from './state.js';
import { showError } from './views.js';

const SESSION_KEY = 'parley.session';
const RETRY_MS = 5000;

/** 'renewed' after each new token pair; 'ended' (detail: the message for the login form, or null) at the end. */
export const sessionEvents = new EventTarget();

/**
 * Logs in, then asks who "me" is: the server matches usernames case-insensitively, the page shows
 * the name as registered.
 */
export async function logIn(username, password) {
  const pair = await api('POST', '/auth/login', { username, password });
  const me = await api('GET', '/users/me', undefined, pair.access_token);
  saveSession(me.username, pair);
}

function saveSession(username, pair) {
  state.session = {
    username,
    access_token: pair.access_token,
    refresh_token: pair.refresh_token,
    expires_at: Date.now() + pair.expires_in * 1000,
    ttl_ms: pair.expires_in * 1000,
  };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(state.session));
  scheduleRefresh();
}

function scheduleRefresh() {
  clearTimeout(state.renewal.timer);
  if (!state.session) return;
  const early = Math.min(60000, state.session.ttl_ms * 0.2);
  refreshIn(Math.max(1000, state.session.expires_at - early - Date.now()));
}

function refreshIn(delay) {
  clearTimeout(state.renewal.timer);
  state.renewal.timer = setTimeout(() => {
    refresh().catch(() => {});
  }, delay);
}

/** One refresh at a time: a refresh token is spent when used, and a second use ends the session. */
export function refresh() {
  if (!state.session) return Promise.reject(new Error('not logged in'));
  state.renewal.inFlight ??= (async () => {
    try {
      state.renewal.lastAt = Date.now();
      const pair = await api('POST', '/auth/refresh', { refresh_token: state.session.refresh_token });
      saveSession(state.session.username, pair);
      sessionEvents.dispatchEvent(new Event('renewed'));
    } catch (error) {
      if (error.status === 401) endSession('Your session has ended. Please log in again.');
      else {
        showError(`Could not renew the login (${error.message}); retrying.`);
        refreshIn(RETRY_MS);
      }
      throw error;
    } finally {
      state.renewal.inFlight = null;
    }
  })();
  return state.renewal.inFlight;
}

/** Ends the session; `message` says why to the login form. Without one, the person logged out: tell the server. */
export function endSession(message) {
  const ending = state.session;
  state.session = null;
  sessionStorage.removeItem(SESSION_KEY);
  clearTimeout(state.renewal.timer);
  sessionEvents.dispatchEvent(new CustomEvent('ended', { detail: message }));
  if (ending && !message) api('POST', '/auth/logout', undefined, ending.access_token).catch(() => {});
}

/** The session an earlier load of this tab stored, now current; null if there is none (or it is unreadable). */
export function restoreSession() {
  const stored = sessionStorage.getItem(SESSION_KEY);
  if (!stored) return null;
  try {
    const session = JSON.parse(stored);
    if (typeof session?.username !== 'string') throw new Error('not a session');
    state.session = session;
  } catch {
    sessionStorage.removeItem(SESSION_KEY);
  }
  return state.session;
}
