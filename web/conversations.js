// Conversations: the sidebar of people you exchanged private messages with (unread badges), and a
// view of one conversation with its history paged back. Viewing a conversation marks it read; the
// other person's receipts show as "seen" on your messages.

import { api } from './api.js';
import { $ } from './dom.js';
import { state } from './state.js';
import { onFrames, sendFrame } from './socket.js';
import { showError, startPm } from './views.js';

const LIST_PAGE = 50;
const HISTORY_PAGE = 30;

const c = {
  list: $('conversation-list'),
  more: $('conversations-more'),
  view: $('conversation-view'),
  title: $('conversation-title'),
  close: $('conversation-close'),
  older: $('conversation-older'),
  messages: $('conversation-messages'),
  timeline: $('timeline'),
};

const token = () => state.session?.access_token;
const me = () => state.session?.username;
const other = (m) => (m.from === me() ? m.to : m.from);
const sameName = (a, b) => a.toLowerCase() === b.toLowerCase();

export function bindConversations() {
  onFrames(['history'], () => loadConversations());
  onFrames(['pm', 'read', 'receipt'], onConversationFrame);
  c.more.addEventListener('click', () => loadConversations(true));
  c.close.addEventListener('click', closeConversation);
  c.older.addEventListener('click', () => loadHistory(false));
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && state.conversations.open) closeConversation();
  });
}

/** The first page of the sidebar (or, with `more`, the next one). */
export async function loadConversations(more = false) {
  const entries = state.conversations.entries;
  const last = more ? [...entries.values()].at(-1) : undefined;
  const query = `?limit=${LIST_PAGE}${last ? `&before=${encodeURIComponent(last.with)}` : ''}`;
  try {
    const { conversations } = await api('GET', `/messenger/conversations${query}`, undefined, token());
    if (!more) entries.clear();
    for (const entry of conversations) {
      entries.set(entry.with, entry);
      // How far they had read when the page loaded; live receipts carry it on from there.
      const key = entry.with.toLowerCase();
      if (entry.seen_up_to && !state.conversations.receipts.has(key))
        state.conversations.receipts.set(key, entry.seen_up_to);
    }
    c.more.hidden = conversations.length < LIST_PAGE;
    renderList();
  } catch (error) {
    if (state.session) showError(`Could not load your conversations: ${error.message}`);
  }
}

/** Forgets everything shown (the session ended). */
export function clearConversations() {
  state.conversations.entries.clear();
  state.conversations.receipts.clear();
  closeConversation();
  c.list.replaceChildren();
}

/** A frame from the socket that concerns conversations: pm, read or receipt. */
export function onConversationFrame(frame) {
  if (frame.type === 'pm') onPm(frame);
  else if (frame.type === 'read') onRead(frame);
  else if (frame.type === 'receipt') {
    state.conversations.receipts.set(frame.by.toLowerCase(), frame.up_to);
    if (state.conversations.open && sameName(state.conversations.open, frame.by)) renderReceipts();
  }
}

/**
 * Read on this page or another of yours. Up to the last message: nothing is unread. Otherwise only
 * the server can count what is left, so the list is fetched again.
 */
function onRead(frame) {
  const entry = [...state.conversations.entries.values()].find((e) => sameName(e.with, frame.with));
  if (entry && entry.last_message?.id !== frame.up_to) {
    loadConversations();
    return;
  }
  if (entry && entry.unread > 0) {
    entry.unread = 0;
    renderList();
  }
}

function onPm(m) {
  const withName = other(m);
  const entries = state.conversations.entries;
  const known = [...entries.keys()].find((name) => sameName(name, withName));
  const entry = known ? entries.get(known) : { with: withName, unread: 0 };
  if (known) entries.delete(known);
  const repeated = entry.last_message?.id === m.id;
  entry.last_message = m;
  const open = state.conversations.open && sameName(state.conversations.open, withName);
  if (m.from !== me() && !open && !repeated) entry.unread += 1;
  // Most recent activity first: a new message moves its conversation to the top.
  state.conversations.entries = new Map([[entry.with, entry], ...entries]);
  renderList();
  if (open) {
    appendMessage(m);
    if (m.from !== me()) markRead(withName, m.id);
  }
}

function renderList() {
  const items = [...state.conversations.entries.values()].map((entry) => {
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'conversation-item';
    button.dataset.with = entry.with;
    const open = state.conversations.open && sameName(state.conversations.open, entry.with);
    if (open) button.setAttribute('aria-current', 'true');
    const name = document.createElement('span');
    name.className = 'conversation-name';
    name.textContent = entry.with;
    const preview = document.createElement('span');
    preview.className = 'conversation-preview';
    preview.textContent = entry.last_message
      ? `${entry.last_message.from === me() ? 'you: ' : ''}${entry.last_message.text}`
      : '';
    button.append(name, preview);
    if (entry.unread > 0) {
      const badge = document.createElement('span');
      badge.className = 'badge';
      badge.textContent = String(entry.unread);
      badge.setAttribute('aria-label', `${entry.unread} unread`);
      button.append(badge);
    }
    button.addEventListener('click', () => openConversation(entry.with));
    item.append(button);
    return item;
  });
  c.list.replaceChildren(...items);
}

/** Shows the conversation with `username` in place of the timeline, newest page first, and marks it read. */
export async function openConversation(username) {
  state.conversations.open = username;
  state.conversations.oldest = null;
  c.title.textContent = `Conversation with ${username}`;
  c.messages.replaceChildren();
  c.timeline.hidden = true;
  c.view.hidden = false;
  renderList();
  startPm(username);
  await loadHistory(true);
}

function closeConversation() {
  if (!state.conversations.open) return;
  state.conversations.open = null;
  c.view.hidden = true;
  c.timeline.hidden = false;
  c.messages.replaceChildren();
  renderList();
}

/** The newest page (`first`) or the page before the oldest shown. */
async function loadHistory(first) {
  const username = state.conversations.open;
  if (!username) return;
  const before = first ? '' : `&before=${encodeURIComponent(state.conversations.oldest)}`;
  try {
    const path = `/messenger/conversations/${encodeURIComponent(username)}?limit=${HISTORY_PAGE}${before}`;
    const { messages } = await api('GET', path, undefined, token());
    if (state.conversations.open !== username) return;
    // Newest first from the API; shown oldest first, older pages above.
    const anchor = c.messages.firstElementChild;
    for (const m of [...messages].reverse()) c.messages.insertBefore(messageItem(m), anchor);
    if (messages.length > 0) state.conversations.oldest = messages[messages.length - 1].id;
    c.older.hidden = messages.length < HISTORY_PAGE;
    renderReceipts();
    if (first) {
      c.messages.scrollTop = c.messages.scrollHeight;
      const newest = messages[0];
      if (newest) markRead(username, newest.id);
    }
  } catch (error) {
    showError(`Could not load the conversation: ${error.message}`);
  }
}

/** Over the socket when it is open (the read frame coming back updates every tab), else over REST. */
function markRead(username, upTo) {
  const entry = [...state.conversations.entries.values()].find((e) => sameName(e.with, username));
  if (entry && entry.unread > 0) {
    entry.unread = 0;
    renderList();
  }
  if (state.socket && state.socket.readyState === WebSocket.OPEN) {
    sendFrame({ type: 'read', with: username, up_to: upTo });
    return;
  }
  api('POST', `/messenger/conversations/${encodeURIComponent(username)}/read`, { up_to: upTo }, token()).catch(
    (error) => showError(`Could not mark the conversation read: ${error.message}`),
  );
}

function appendMessage(m) {
  if (c.messages.querySelector(`[data-id="${CSS.escape(m.id)}"]`)) return;
  c.messages.append(messageItem(m));
  c.messages.scrollTop = c.messages.scrollHeight;
  renderReceipts();
}

function messageItem(m) {
  const mine = m.from === me();
  const item = document.createElement('li');
  item.className = `msg msg-pm ${mine ? 'msg-out' : 'msg-in'}`;
  item.dataset.id = m.id;
  const meta = document.createElement('div');
  meta.className = 'meta';
  const who = document.createElement('span');
  who.className = 'who';
  who.textContent = mine ? 'you' : m.from;
  const time = document.createElement('time');
  time.dateTime = m.sent_at;
  time.textContent = new Date(m.sent_at).toLocaleString([], { dateStyle: 'short', timeStyle: 'short' });
  meta.append(who, time);
  const text = document.createElement('p');
  text.className = 'text';
  text.textContent = m.text;
  item.append(meta, text);
  return item;
}

/** "seen" on each of your messages up to the one the other person last read. */
function renderReceipts() {
  const username = state.conversations.open;
  const upTo = username && state.conversations.receipts.get(username.toLowerCase());
  if (!upTo) return;
  const items = [...c.messages.children];
  const last = items.findIndex((item) => item.dataset.id === upTo);
  if (last === -1) return;
  items.slice(0, last + 1).forEach((item) => {
    if (!item.classList.contains('msg-out') || item.querySelector('.receipt')) return;
    const seen = document.createElement('span');
    seen.className = 'receipt';
    seen.textContent = 'seen';
    item.querySelector('.meta').append(seen);
  });
}
