// "Start a private chat": searches users as you type; picking one starts a /pm line to them.

import { api } from './api.js';
import { openUserCard } from './blocks.js';
import { el } from './dom.js';
import { state } from './state.js';
import { showError, startPm } from './views.js';

const DEBOUNCE_MS = 200;

export function bindSearch() {
  el.search.addEventListener('input', () => {
    clearTimeout(state.search.timer);
    state.search.timer = setTimeout(() => search(el.search.value.trim()), DEBOUNCE_MS);
  });
}

async function search(query) {
  const seq = ++state.search.seq;
  el.results.replaceChildren();
  if (!query) return;
  try {
    const { users } = await api('GET', `/users?search=${encodeURIComponent(query)}&limit=8`);
    if (seq !== state.search.seq) return;
    const others = users.filter((u) => u.username !== state.session?.username);
    if (others.length === 0) {
      const none = document.createElement('li');
      none.className = 'none';
      none.textContent = 'nobody by that name';
      el.results.append(none);
    }
    for (const user of others) el.results.append(personItem(user));
  } catch (error) {
    if (seq === state.search.seq) showError(`Search failed: ${error.message}`);
  }
}

function personItem(user) {
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
  // The card (profile, block) opens from a button of its own: picking the name still starts a PM.
  const profile = document.createElement('button');
  profile.type = 'button';
  profile.className = 'secondary card-open';
  profile.textContent = 'Profile';
  profile.setAttribute('aria-label', `Profile of ${user.username}`);
  profile.addEventListener('click', () => openUserCard(user.username));
  item.className = 'person-row';
  item.append(button, profile);
  return item;
}
