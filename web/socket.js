// The chat socket (protocol: docs/websocket.md): connects with the access token, reconnects with
// backoff, resends what was not acknowledged, and turns the server's frames into what the page shows.

import { state } from './state.js';
import { endSession, refresh } from './session.js';
import { forgetCursor, noteCursor, reloadFromRest, socketUrl } from './resync.js';
import { renderStatus, setStatus, showError, showMessage } from './views.js';

const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 30000;
const PM_LINE = /^\/pm\s+(\S+)\s+([\s\S]+)$/i;

export async function connect() {
  clearTimeout(state.reconnect.timer);
  if (!state.session) return;
  // A failed upgrade gives the page no reason; a nearly expired or revoked token is a likely one,
  // so after repeated failures the token is renewed too (at most once a minute).
  const stale = state.reconnect.attempts >= 2 && Date.now() - state.renewal.lastAt > 60000;
  if (state.session.expires_at - Date.now() < 10000 || stale) {
    try {
      await refresh();
    } catch {
      if (!state.session) return;
    }
  }
  setStatus('connecting');
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/messenger/ws`;
  const ws = new WebSocket(socketUrl(url), ['parley', state.session.access_token]);
  state.socket = ws;
  ws.onopen = () => {
    state.reconnect.attempts = 0;
    setStatus('online');
    for (const frame of state.unacked.values()) ws.send(JSON.stringify(frame));
  };
  ws.onmessage = (event) => {
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    onFrame(frame);
  };
  ws.onclose = (event) => {
    if (state.socket !== ws) return;
    state.socket = null;
    setStatus('offline');
    if (!state.session) return;
    if (event.code === 4003) {
      endSession('Your session was ended (logged out elsewhere or password changed). Please log in again.');
      return;
    }
    if (event.code === 4001) {
      reconnectAfterRefresh();
      return;
    }
    if (event.code === 1009) showError('That message was too large to send.');
    scheduleReconnect();
  };
}

/** Renews the token, then connects with it; if the renewal fails but the session lives on, tries again later. */
export function reconnectAfterRefresh() {
  refresh().then(connect, () => {
    if (state.session) scheduleReconnect();
  });
}

function scheduleReconnect() {
  clearTimeout(state.reconnect.timer);
  const base = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** state.reconnect.attempts);
  state.reconnect.attempts += 1;
  const delay = Math.round(base * (0.5 + Math.random() / 2));
  setStatus('offline', `reconnecting in ${Math.ceil(delay / 1000)} s`);
  state.reconnect.timer = setTimeout(connect, delay);
}

/** Closes the socket for good (the session is over) and forgets what was waiting to be sent. */
export function disconnect() {
  clearTimeout(state.reconnect.timer);
  state.unacked.clear();
  forgetCursor();
  const ws = state.socket;
  if (!ws) return;
  state.socket = null; // first, so its close event is not taken for a dropped connection
  ws.close(1000, 'logged out');
}

/** Sends a frame (or a raw line) if the socket is open; otherwise it is dropped (frames with a ref wait in unacked). */
export function sendFrame(frame) {
  const ws = state.socket;
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
}

/** Sends the renewed access token over the open socket, so the server keeps it. */
export function sendToken() {
  if (state.session) sendFrame({ type: 'auth', token: state.session.access_token });
}

/** A line from the composer: `/pm user text` is private, anything else goes to everyone. */
export function submitLine(line) {
  if (line.trim() === '') return;
  const pm = PM_LINE.exec(line.trim());
  if (/^\/pm(\s|$)/i.test(line.trim()) && !pm) {
    // Let the server say what is wrong with it, in its words.
    if (!state.socket) {
      showError('Not connected: the message was not sent.');
      return;
    }
    sendFrame(line);
    return;
  }
  const ref = newRef();
  const frame = pm ? { type: 'pm', to: pm[1], text: pm[2], ref } : { type: 'chat', text: line, ref };
  state.unacked.set(ref, frame);
  renderStatus();
  sendFrame(frame);
}

/** An edit or delete of one's own message: with a ref, so it is acknowledged and resent after a reconnect. */
export function sendChange(frame) {
  const ref = newRef();
  const withRef = { ...frame, ref };
  state.unacked.set(ref, withRef);
  renderStatus();
  sendFrame(withRef);
}

function newRef() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Frame handlers of the page's features, by frame type (features register; the socket knows none). */
const frameHandlers = new Map();

/** Calls `handler` with every frame of these types, after the socket's own handling of it. */
export function onFrames(types, handler) {
  for (const type of types) frameHandlers.set(type, [...(frameHandlers.get(type) ?? []), handler]);
}

function onFrame(frame) {
  switch (frame.type) {
    case 'history':
      for (const message of frame.messages) showMessage(message, true);
      break;
    case 'sync':
      // The frames missed while away, in order, each handled as if it had come live.
      for (const missed of frame.frames) onFrame(missed);
      if (frame.limited) reloadFromRest();
      break;
    case 'pm':
    case 'chat':
      showMessage(frame, false);
      break;
    case 'ack':
      state.unacked.delete(frame.ref);
      renderStatus();
      break;
    case 'error':
      if (frame.ref) {
        state.unacked.delete(frame.ref);
        renderStatus();
      }
      showError(frame.message || frame.code);
      break;
    default:
      break;
  }
  for (const handler of frameHandlers.get(frame.type) ?? []) handler(frame);
  noteCursor(frame);
}
