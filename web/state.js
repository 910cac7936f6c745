// Everything on the page that changes over time, in one object. Each field names the one module
// that writes it; the others only read it.

export const state = {
  /** {username, access_token, refresh_token, expires_at (ms), ttl_ms} while logged in. Written by session.js. */
  session: null,
  /** The token renewal: its timer, the refresh under way (one at a time), when the last one began. session.js. */
  renewal: { timer: null, inFlight: null, lastAt: 0 },
  /** The open (or opening) WebSocket, or null. socket.js. */
  socket: null,
  /** Failed connections in a row, and the timer of the next try. socket.js. */
  reconnect: { attempts: 0, timer: null },
  /** The cursor of the last frame shown (history, sync, pm, chat, …): a reconnect resyncs from it. resync.js. */
  cursor: null,
  /** Frames sent with a ref and not yet acknowledged: resent after a reconnect (the ref makes that safe). socket.js. */
  unacked: new Map(),
  /** The messages on screen, by id, oldest first. views.js. */
  shown: new Map(),
  /** What the status badge says. views.js. */
  status: { state: 'offline', detail: '' },
  /** The user search: its debounce timer, and the number of the latest query (older answers are dropped). search.js. */
  search: { timer: null, seq: 0 },
  /**
   * The conversation sidebar (entries by username, most recent first), the conversation open (a
   * username, or null) and the oldest message id shown in it, and the last receipt from each person
   * (lower-cased username → message id). conversations.js.
   */
  conversations: { entries: new Map(), open: null, oldest: null, receipts: new Map() },
  /** Set while sign-ups are rate limited: the button waits until it fires. forms.js. */
  register: { blockedTimer: null },
  /** Usernames you blocked, as GET /users/blocks lists them; null until first loaded. blocks.js. */
  blocks: null,
  /** The user card's username, and the picture chosen but not yet uploaded (a File). blocks.js, settings.js. */
  pane: { card: null, picture: null },
};
