// Gap-free reconnects (docs/websocket.md, "Resync"): the page keeps the cursor of the last frame it
// was shown and reconnects with ?since=<cursor>; the server answers with the frames missed meanwhile.
// When it cannot (too much missed, or an unknown cursor), the page reloads through the REST API.

import { api } from './api.js';
import { state } from './state.js';
import { showError, showMessage } from './views.js';

/** The last cursor seen: every frame that changes what is shown carries one, as do history and sync. */
export function noteCursor(frame) {
  if (typeof frame.cursor === 'string') state.cursor = frame.cursor;
}

/** The socket URL: with the last cursor once there is one, so a reconnect picks up where it left off. */
export function socketUrl(base) {
  return state.cursor ? `${base}?since=${encodeURIComponent(state.cursor)}` : base;
}

/** A fresh start (logged out): the next connection opens with history, not a resync. */
export function forgetCursor() {
  state.cursor = null;
}

/** A limited resync: what was missed is too much to replay, so the inbox and the chat are loaded again. */
export async function reloadFromRest() {
  const token = state.session?.access_token;
  if (!token) return;
  try {
    const [inbox, chat] = await Promise.all([
      api('GET', '/messenger/inbox', undefined, token),
      api('GET', '/messenger/chat?limit=50', undefined, token),
    ]);
    // showMessage skips what is on screen already and keeps the list in time order.
    for (const m of [...inbox.messages, ...chat.messages]) showMessage(m, true);
  } catch {
    showError('Some messages could not be loaded after the reconnect. Reload the page to see them.');
  }
}
