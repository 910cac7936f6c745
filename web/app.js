// The parley chat page: creates accounts and logs in over the REST API, keeps the access token
// fresh, and talks to /messenger/ws (protocol: docs/websocket.md). No framework and no inline
// code, so a strict CSP holds.
'use strict';

(() => {
  const SESSION_KEY = 'parley.session';
  const MAX_MESSAGES = 500;
  const RECONNECT_MIN_MS = 500;
  const RECONNECT_MAX_MS = 30000;
  const $ = (id) => document.getElementById(id);

  const el = {
    loginView: $('login-view'), loginForm: $('login-form'), loginUser: $('login-username'), loginPass: $('login-password'),
    loginSubmit: $('login-submit'), loginError: $('login-error'),
    registerForm: $('register-form'), toRegister: $('to-register'), registerSubmit: $('register-submit'), registerError: $('register-error'),
    chatView: $('chat-view'), status: $('status'), me: $('me'), logout: $('logout'),
    search: $('search'), results: $('search-results'), messages: $('messages'),
    composer: $('composer'), input: $('input'), errors: $('errors'),
  };

  /** {username, access_token, refresh_token, expires_at (ms)} while logged in. */
  let session = null;
  let socket = null;
  let reconnectAttempts = 0;
  let reconnectTimer = null;
  let refreshTimer = null;
  let refreshing = null;
  let lastRefreshAt = 0;
  /** Frames sent with a ref and not yet acknowledged: resent after a reconnect (the ref makes that safe). */
  const unacked = new Map();
  const shown = new Map();

  // ---- REST ----------------------------------------------------------------------------------

  async function api(method, path, body, token) {
    const headers = {};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = `Bearer ${token}`;
    const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const data = res.status === 204 ? null : await res.json().catch(() => null);
    if (!res.ok) {
      const error = new Error(data?.error?.message || `request failed (${res.status})`);
      error.status = res.status;
      error.code = data?.error?.code;
      error.details = data?.error?.details;
      const retryAfter = Number(res.headers.get('Retry-After') ?? data?.error?.details?.retry_after);
      if (retryAfter > 0) error.retryAfter = retryAfter;
      throw error;
    }
    return data;
  }

  function saveSession(username, pair) {
    session = {
      username, access_token: pair.access_token, refresh_token: pair.refresh_token,
      expires_at: Date.now() + pair.expires_in * 1000, ttl_ms: pair.expires_in * 1000,
    };
    // sessionStorage: a reload keeps you logged in; closing the tab does not.
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
    scheduleRefresh();
  }

  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    if (!session) return;
    const early = Math.min(60000, session.ttl_ms * 0.2);
    const delay = Math.max(1000, session.expires_at - early - Date.now());
    refreshTimer = setTimeout(() => { refresh().catch(() => {}); }, delay);
  }

  /** One refresh at a time: a refresh token is spent when used, and a second use ends the session. */
  function refresh() {
    if (!session) return Promise.reject(new Error('not logged in'));
    refreshing ??= (async () => {
      try {
        lastRefreshAt = Date.now();
        const pair = await api('POST', '/auth/refresh', { refresh_token: session.refresh_token });
        saveSession(session.username, pair);
        sendFrame({ type: 'auth', token: session.access_token });
      } catch (error) {
        if (error.status === 401) endSession('Your session has ended. Please log in again.');
        else {
          showError(`Could not renew the login (${error.message}); retrying.`);
          clearTimeout(refreshTimer);
          refreshTimer = setTimeout(() => { refresh().catch(() => {}); }, 5000);
        }
        throw error;
      } finally {
        refreshing = null;
      }
    })();
    return refreshing;
  }

  // ---- socket --------------------------------------------------------------------------------

  async function connect() {
    clearTimeout(reconnectTimer);
    if (!session) return;
    // A failed upgrade gives the page no reason; a nearly expired or revoked token is a likely one,
    // so after repeated failures the token is renewed too (at most once a minute).
    const stale = reconnectAttempts >= 2 && Date.now() - lastRefreshAt > 60000;
    if (session.expires_at - Date.now() < 10000 || stale) {
      try {
        await refresh();
      } catch {
        if (!session) return;
      }
    }
    setStatus('connecting');
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/messenger/ws`;
    const ws = new WebSocket(url, ['parley', session.access_token]);
    socket = ws;
    ws.onopen = () => {
      reconnectAttempts = 0;
      setStatus('online');
      for (const frame of unacked.values()) ws.send(JSON.stringify(frame));
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
      if (socket !== ws) return;
      socket = null;
      setStatus('offline');
      if (!session) return;
      if (event.code === 4003) return endSession('Your session was ended (logged out elsewhere or password changed). Please log in again.');
      if (event.code === 4001) {
        refresh().then(connect, () => { if (session) scheduleReconnect(); });
        return;
      }
      if (event.code === 1009) showError('That message was too large to send.');
      scheduleReconnect();
    };
  }

  function scheduleReconnect() {
    clearTimeout(reconnectTimer);
    const base = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** reconnectAttempts);
    reconnectAttempts += 1;
    const delay = Math.round(base * (0.5 + Math.random() / 2));
    setStatus('offline', `reconnecting in ${Math.ceil(delay / 1000)} s`);
    reconnectTimer = setTimeout(connect, delay);
  }

  function sendFrame(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  function newRef() {
    if (crypto.randomUUID) return crypto.randomUUID();
    return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
  }

  function onFrame(frame) {
    switch (frame.type) {
      case 'history':
        for (const message of frame.messages) showMessage(message, true);
        break;
      case 'pm':
      case 'chat':
        showMessage(frame, false);
        break;
      case 'ack':
        unacked.delete(frame.ref);
        updatePending();
        break;
      case 'error':
        if (frame.ref) {
          unacked.delete(frame.ref);
          updatePending();
        }
        showError(frame.message || frame.code);
        break;
      default:
        break;
    }
  }

  // ---- composing ------------------------------------------------------------------------------

  const PM_LINE = /^\/pm\s+(\S+)\s+([\s\S]+)$/i;

  function submitLine(line) {
    if (line.trim() === '') return;
    const pm = PM_LINE.exec(line.trim());
    if (/^\/pm(\s|$)/i.test(line.trim()) && !pm) {
      // Let the server say what is wrong with it, in its words.
      if (!socket) return showError('Not connected: the message was not sent.');
      sendFrame(line);
      return;
    }
    const ref = newRef();
    const frame = pm ? { type: 'pm', to: pm[1], text: pm[2], ref } : { type: 'chat', text: line, ref };
    unacked.set(ref, frame);
    updatePending();
    sendFrame(frame);
  }

  function updatePending() {
    setStatus(status.state, status.detail);
  }

  // ---- rendering ------------------------------------------------------------------------------

  function showMessage(m, fromHistory) {
    if (shown.has(m.id)) return;
    const item = document.createElement('li');
    item.className = `msg msg-${m.type}`;
    item.dataset.id = m.id;
    item.dataset.sentAt = m.sent_at;
    if (m.type === 'pm') item.classList.add(m.from === session?.username ? 'msg-out' : 'msg-in');
    if (fromHistory) item.classList.add('msg-history');

    const meta = document.createElement('div');
    meta.className = 'meta';
    const who = document.createElement('span');
    who.className = 'who';
    if (m.type === 'pm') {
      const tag = document.createElement('span');
      tag.className = 'tag';
      tag.textContent = 'private';
      meta.append(tag);
      who.textContent = m.from === session?.username ? `you → ${m.to}` : `${m.from} → you`;
    } else {
      who.textContent = m.from === session?.username ? 'you' : m.from;
    }
    const time = document.createElement('time');
    time.dateTime = m.sent_at;
    time.textContent = formatTime(m.sent_at);
    meta.append(who, time);

    const text = document.createElement('p');
    text.className = 'text';
    text.textContent = m.text;
    item.append(meta, text);

    if (m.type === 'pm' && m.recipient_online === false) {
      const note = document.createElement('p');
      note.className = 'note';
      note.textContent = `${m.to} is offline; they will see it when they come back.`;
      item.append(note);
    }
    if (m.type === 'pm' && m.from !== session?.username) {
      item.title = `Click to reply to ${m.from}`;
      item.addEventListener('click', () => startPm(m.from));
    }
    insertInOrder(item);
    shown.set(m.id, item);
    while (shown.size > MAX_MESSAGES) {
      const [oldestId, oldest] = shown.entries().next().value;
      oldest.remove();
      shown.delete(oldestId);
    }
  }

  function insertInOrder(item) {
    const atBottom = el.messages.scrollHeight - el.messages.scrollTop - el.messages.clientHeight < 60;
    let before = null;
    for (let node = el.messages.lastElementChild; node; node = node.previousElementSibling) {
      if (node.dataset.sentAt <= item.dataset.sentAt) break;
      before = node;
    }
    el.messages.insertBefore(item, before);
    if (atBottom || !before) el.messages.scrollTop = el.messages.scrollHeight;
  }

  function formatTime(iso) {
    const d = new Date(iso);
    const sameDay = d.toDateString() === new Date().toDateString();
    return sameDay ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : d.toLocaleString([], { dateStyle: 'short', timeStyle: 'short' });
  }

  const status = { state: 'offline', detail: '' };

  function setStatus(state, detail) {
    status.state = state;
    status.detail = detail || '';
    const waiting = unacked.size > 0 ? ` · ${unacked.size} waiting` : '';
    el.status.className = `status status-${state}`;
    el.status.textContent = `${state}${detail ? ` · ${detail}` : ''}${waiting}`;
  }

  function showError(message) {
    const item = document.createElement('div');
    item.className = 'error-toast';
    const text = document.createElement('span');
    text.textContent = message;
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'dismiss';
    close.setAttribute('aria-label', 'Dismiss');
    close.textContent = '×';
    close.addEventListener('click', () => item.remove());
    item.append(text, close);
    el.errors.append(item);
    while (el.errors.children.length > 3) el.errors.firstElementChild.remove();
    setTimeout(() => item.remove(), 8000);
  }

  function startPm(username) {
    el.input.value = `/pm ${username} `;
    el.input.focus();
  }

  // ---- user search ------------------------------------------------------------------------------

  let searchTimer = null;
  let searchSeq = 0;

  async function search(query) {
    const seq = ++searchSeq;
    el.results.replaceChildren();
    if (!query) return;
    try {
      const { users } = await api('GET', `/users?search=${encodeURIComponent(query)}&limit=8`);
      if (seq !== searchSeq) return;
      const others = users.filter((u) => u.username !== session?.username);
      if (others.length === 0) {
        const none = document.createElement('li');
        none.className = 'none';
        none.textContent = 'nobody by that name';
        el.results.append(none);
      }
      for (const user of others) {
        const item = document.createElement('li');
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'person';
        const fullName = [user.first_name, user.last_name].filter(Boolean).join(' ');
        button.textContent = fullName ? `${user.username} · ${fullName}` : user.username;
        button.addEventListener('click', () => {
          startPm(user.username);
          el.search.value = '';
          el.results.replaceChildren();
        });
        item.append(button);
        el.results.append(item);
      }
    } catch (error) {
      if (seq === searchSeq) showError(`Search failed: ${error.message}`);
    }
  }

  // ---- log in / out ------------------------------------------------------------------------------

  function showChat() {
    el.loginView.hidden = true;
    el.chatView.hidden = false;
    el.me.textContent = session.username;
    el.input.focus();
  }

  /** Logs in, then asks who "me" is: the server matches usernames case-insensitively, the page shows the name as registered. */
  async function logIn(username, password) {
    const pair = await api('POST', '/auth/login', { username, password });
    const me = await api('GET', '/users/me', undefined, pair.access_token);
    saveSession(me.username, pair);
    showChat();
    connect();
  }

  function showLoginError(message) {
    el.loginError.hidden = !message;
    el.loginError.textContent = message || '';
  }

  const sentence = (text) => text.charAt(0).toUpperCase() + text.slice(1) + (/[.!?]$/.test(text) ? '' : '.');

  /** A failed fetch (server down, network gone) has no status; say that rather than the browser's wording. */
  const requestProblem = (error) => (error.status ? error.message : 'Could not reach the server. Check your connection and try again.');

  function endSession(message) {
    const ending = session;
    session = null;
    sessionStorage.removeItem(SESSION_KEY);
    clearTimeout(refreshTimer);
    clearTimeout(reconnectTimer);
    unacked.clear();
    shown.clear();
    el.messages.replaceChildren();
    if (socket) {
      const ws = socket;
      socket = null;
      ws.close(1000, 'logged out');
    }
    el.chatView.hidden = true;
    el.loginView.hidden = false;
    el.loginPass.value = '';
    showLoginError(message);
    clearRegisterErrors();
    if (ending && !message) api('POST', '/auth/logout', undefined, ending.access_token).catch(() => {});
  }

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
      await logIn(username, password);
    } catch (error) {
      showLoginError(error.status === 401 ? 'Incorrect username or password.' : sentence(requestProblem(error)));
    } finally {
      el.loginSubmit.disabled = false;
    }
  });

  el.logout.addEventListener('click', () => endSession(null));

  // ---- create an account ---------------------------------------------------------------------------

  /** The form's fields, named as the API names them (POST /users/create). */
  const REGISTER_FIELDS = ['username', 'email', 'password', 'first_name', 'last_name'];
  const registerInput = (field) => el.registerForm.elements.namedItem(field);
  let registerBlockedTimer = null;

  function clearRegisterErrors() {
    showFieldErrors({});
    el.registerError.hidden = true;
    el.registerError.textContent = '';
  }

  /** Puts each message under its field (and marks the field invalid); focuses the first one. True if there was any. */
  function showFieldErrors(errors, focus = false) {
    for (const field of REGISTER_FIELDS) setFieldError(field, errors[field]);
    const first = REGISTER_FIELDS.find((field) => errors[field]);
    if (first && focus) registerInput(first).focus();
    return Boolean(first);
  }

  function setFieldError(field, message) {
    const slot = $(`register-${field}-error`);
    slot.hidden = !message;
    slot.textContent = message || '';
    if (message) registerInput(field).setAttribute('aria-invalid', 'true');
    else registerInput(field).removeAttribute('aria-invalid');
  }

  const labelOf = (field) => document.querySelector(`label[for="${registerInput(field).id}"]`).textContent;

  /** The server names fields as the API does ("first_name must …"); under the field, its label reads better. */
  function fieldMessage(field, message) {
    const text = String(message);
    const named = REGISTER_FIELDS.includes(field) && text.startsWith(`${field} `) ? labelOf(field) + text.slice(field.length) : text;
    return sentence(named);
  }

  /**
   * What is plainly missing, before asking the server: every attempt counts against the per-address
   * sign-up limit. The finer rules (allowed characters, reserved names) stay the server's to judge.
   */
  function missingFields(form) {
    const errors = {};
    if (!form.username) errors.username = 'Choose a username.';
    if (!form.email) errors.email = 'Enter your email address.';
    else if (registerInput('email').validity.typeMismatch) errors.email = 'Enter an email address like name@example.com.';
    const minimum = registerInput('password').minLength;
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
        clearTimeout(registerBlockedTimer);
        registerBlockedTimer = setTimeout(() => {
          registerBlockedTimer = null;
          el.registerSubmit.disabled = false;
          el.registerError.hidden = true;
        }, wait * 1000);
      }
    }
    el.registerError.hidden = false;
    el.registerError.textContent = message;
  }

  el.registerForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (registerBlockedTimer) return;
    const form = {};
    for (const field of REGISTER_FIELDS) form[field] = field === 'password' ? registerInput(field).value : registerInput(field).value.trim();
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
      const unplaced = Object.keys(errors).filter((field) => !REGISTER_FIELDS.includes(field));
      if (!showFieldErrors(errors, true) || unplaced.length > 0) showRegisterError(error);
      if (!registerBlockedTimer) el.registerSubmit.disabled = false;
      return;
    }
    try {
      await logIn(created.username, form.password);
      el.registerForm.reset();
    } catch (error) {
      // The account exists now; only the login failed, so hand over to the login form.
      el.loginUser.value = created.username;
      showLoginError(`Your account ${created.username} was created, but logging in failed: ${sentence(requestProblem(error))} Log in here.`);
      el.registerForm.reset();
      el.loginPass.focus();
    } finally {
      el.registerSubmit.disabled = false;
    }
  });

  // On narrow screens the form is below the login card: take the person there, ready to type.
  el.toRegister.addEventListener('click', (event) => {
    event.preventDefault();
    el.registerForm.scrollIntoView({ block: 'start' });
    registerInput('username').focus({ preventScroll: true });
  });

  // Editing a field takes its error away: it may be right now.
  el.registerForm.addEventListener('input', (event) => {
    if (REGISTER_FIELDS.includes(event.target.name)) setFieldError(event.target.name, null);
  });

  el.composer.addEventListener('submit', (event) => {
    event.preventDefault();
    const line = el.input.value;
    if (line.trim() === '') return;
    submitLine(line);
    el.input.value = '';
  });

  el.search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => search(el.search.value.trim()), 200);
  });

  // A reload keeps the session: renew the access token with the stored refresh token.
  const stored = sessionStorage.getItem(SESSION_KEY);
  if (stored) {
    try {
      session = JSON.parse(stored);
      showChat();
      refresh().then(connect, () => { if (session) scheduleReconnect(); });
    } catch {
      sessionStorage.removeItem(SESSION_KEY);
      session = null;
    }
  }
})();
