// The user card (someone's public profile, with Block/Unblock and "write privately") and your
// list of blocked users. A block is private: the blocked person is never told.

import { api, requestProblem } from './api.js';
import { $ } from './dom.js';
import { state } from './state.js';
import { startPm } from './views.js';

const card = {
  dialog: $('user-card'),
  title: $('card-title'),
  picture: $('card-picture'),
  name: $('card-name'),
  phone: $('card-phone'),
  status: $('card-status'),
  write: $('card-write'),
  block: $('card-block'),
};
const blockedList = $('blocked-list');
const blockedNone = $('blocked-none');

const token = () => state.session?.access_token;
const isBlocked = (username) => (state.blocks ?? []).some((u) => u.toLowerCase() === username.toLowerCase());

export function bindBlocks() {
  card.block.addEventListener('click', toggleBlock);
  card.write.addEventListener('click', () => {
    const username = state.pane.card;
    closeDialogs();
    if (username) startPm(username);
  });
}

/** Loads (again) whom you blocked, and shows the list in the settings pane. */
export async function loadBlocks() {
  const { users } = await api('GET', '/users/blocks', undefined, token());
  state.blocks = users;
  renderBlockedList();
}

/** Opens the card of `username`: their public profile and whether you blocked them. */
export async function openUserCard(username) {
  state.pane.card = username;
  card.title.textContent = username;
  card.name.textContent = '';
  card.phone.hidden = true;
  card.picture.hidden = true;
  card.status.textContent = 'Loading…';
  card.block.disabled = true;
  if (!card.dialog.open) card.dialog.showModal();
  try {
    const [profile] = await Promise.all([
      api('GET', `/users/${encodeURIComponent(username)}`),
      state.blocks ? null : loadBlocks(),
    ]);
    if (state.pane.card !== username) return;
    showProfile(profile);
    card.status.textContent = '';
  } catch (error) {
    if (state.pane.card === username) card.status.textContent = requestProblem(error);
  }
}

function showProfile(profile) {
  state.pane.card = profile.username;
  card.title.textContent = profile.username;
  const fullName = [profile.first_name, profile.last_name].filter(Boolean).join(' ');
  card.name.textContent = fullName || 'No name given';
  card.phone.hidden = !profile.phone;
  card.phone.textContent = profile.phone ? `Phone: ${profile.phone}` : '';
  card.picture.hidden = !profile.picture;
  if (profile.picture) {
    card.picture.src = profile.picture;
    card.picture.alt = `Picture of ${profile.username}`;
  }
  renderBlockButton();
}

function renderBlockButton() {
  const username = state.pane.card;
  const blocked = isBlocked(username);
  card.block.disabled = username === state.session?.username;
  card.block.textContent = blocked ? 'Unblock' : 'Block';
  card.block.setAttribute('aria-pressed', String(blocked));
}

async function toggleBlock() {
  const username = state.pane.card;
  const unblocking = isBlocked(username);
  card.block.disabled = true;
  try {
    if (unblocking) await api('DELETE', `/users/blocks/${encodeURIComponent(username)}`, undefined, token());
    else await api('POST', '/users/blocks', { username }, token());
    await loadBlocks();
    card.status.textContent = unblocking
      ? `You unblocked ${username}.`
      : `You blocked ${username}: their private messages to you are refused. They are not told.`;
  } catch (error) {
    card.status.textContent = requestProblem(error);
  } finally {
    renderBlockButton();
  }
}

function renderBlockedList() {
  blockedList.replaceChildren(
    ...(state.blocks ?? []).map((username) => {
      const item = document.createElement('li');
      const open = document.createElement('button');
      open.type = 'button';
      open.className = 'secondary';
      open.textContent = username;
      open.setAttribute('aria-label', `${username}: open the card to unblock`);
      open.addEventListener('click', () => openUserCard(username));
      item.append(open);
      return item;
    }),
  );
  blockedNone.hidden = (state.blocks ?? []).length > 0;
  if (card.dialog.open && state.pane.card) renderBlockButton();
}

/** Closes the card and the settings pane (e.g. when the session ends). */
export function closeDialogs() {
  for (const dialog of document.querySelectorAll('dialog[open]')) dialog.close();
}

/** Forgets what was loaded for the last session. */
export function resetBlocks() {
  state.blocks = null;
  state.pane.card = null;
  blockedList.replaceChildren();
}
