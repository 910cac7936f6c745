// What the page shows: the two views, the message list, the status badge and error toasts.
// Rendering only: nothing here talks to the server.

import { el } from './dom.js';
import { state } from './state.js';

const MAX_MESSAGES = 500;

export const sentence = (text) => text.charAt(0).toUpperCase() + text.slice(1) + (/[.!?]$/.test(text) ? '' : '.');

export function showChat() {
  el.loginView.hidden = true;
  el.chatView.hidden = false;
  el.me.textContent = state.session.username;
  el.input.focus();
}

/** Back to the login form, with `message` (or none) saying why. */
export function showLogin(message) {
  el.chatView.hidden = true;
  el.loginView.hidden = false;
  el.loginPass.value = '';
  showLoginError(message);
}

export function showLoginError(message) {
  el.loginError.hidden = !message;
  el.loginError.textContent = message || '';
}

export function startPm(username) {
  el.input.value = `/pm ${username} `;
  el.input.focus();
}

/** What a message of an erased account shows in place of its sender and text. */
const ERASED_SENDER = 'deleted account';

/** What features add to messages: `decorate(item, m)` for each one shown, `update(m)` when one is seen again. */
const messageHooks = { decorate: [], update: [] };

export function extendMessages({ decorate, update }) {
  if (decorate) messageHooks.decorate.push(decorate);
  if (update) messageHooks.update.push(update);
}

export function showMessage(m, fromHistory) {
  if (m.erased) m = { ...m, from: ERASED_SENDER, text: 'This message was erased with its sender\u2019s account.' };
  if (state.shown.has(m.id)) {
    for (const update of messageHooks.update) update(m);
    return;
  }
  const mine = m.from === state.session?.username;
  const item = document.createElement('li');
  item.className = `msg msg-${m.type}`;
  item.dataset.id = m.id;
  item.dataset.sentAt = m.sent_at;
  if (m.type === 'pm') item.classList.add(mine ? 'msg-out' : 'msg-in');
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
    who.textContent = mine ? `you → ${m.to}` : `${m.from} → you`;
  } else {
    who.textContent = mine ? 'you' : m.from;
  }
  const time = document.createElement('time');
  time.dateTime = m.sent_at;
  time.textContent = formatTime(m.sent_at);
  meta.append(who, time);

  const text = document.createElement('p');
  text.className = 'text';
  text.textContent = m.text;
  item.append(meta, text);
  for (const decorate of messageHooks.decorate) decorate(item, m);

  if (m.type === 'pm' && m.recipient_online === false) {
    const note = document.createElement('p');
    note.className = 'note';
    note.textContent = `${m.to} is offline; they will see it when they come back.`;
    item.append(note);
  }
  if (m.type === 'pm' && !mine && !m.erased) {
    item.title = `Click to reply to ${m.from}`;
    item.addEventListener('click', () => startPm(m.from));
  }
  insertInOrder(item);
  state.shown.set(m.id, item);
  while (state.shown.size > MAX_MESSAGES) {
    const [oldestId, oldest] = state.shown.entries().next().value;
    oldest.remove();
    state.shown.delete(oldestId);
  }
}

export function clearMessages() {
  state.shown.clear();
  el.messages.replaceChildren();
}

/** Frames can arrive out of order (history after a live one): each goes where its time puts it. */
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
  return sameDay
    ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleString([], { dateStyle: 'short', timeStyle: 'short' });
}

export function setStatus(name, detail) {
  state.status.state = name;
  state.status.detail = detail || '';
  renderStatus();
}

/** Shows the status again, e.g. after the count of unacknowledged frames changed. */
export function renderStatus() {
  const { state: current, detail } = state.status;
  const waiting = state.unacked.size > 0 ? ` · ${state.unacked.size} waiting` : '';
  el.status.className = `status status-${current}`;
  el.status.textContent = `${current}${detail ? ` · ${detail}` : ''}${waiting}`;
}

export function showError(message) {
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
