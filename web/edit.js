// Editing and deleting your own messages (docs/websocket.md: edit, delete, edited, deleted): the
// buttons on your messages, the inline editor (Enter saves, Esc cancels), and how a changed
// message is shown: "(edited)", or a "message deleted" tombstone in its place.

import { onFrames, sendChange } from './socket.js';
import { state } from './state.js';
import { extendMessages } from './views.js';

/** How long a first click on Delete waits for the second one that confirms it. */
const CONFIRM_MS = 4000;

/** Puts the buttons on messages as they are shown, and applies edited and deleted frames. */
export function bindEdit() {
  extendMessages({ decorate: decorateMessage, update: updateMessage });
  onFrames(['edited'], (frame) => updateMessage(frame.message));
  onFrames(['deleted'], (frame) => applyDeleted(frame.id));
}

/** For each message views.js puts on screen. */
function decorateMessage(item, m) {
  item.dataset.editedAt = '';
  if (m.deleted) {
    markDeleted(item);
    return;
  }
  if (m.from === state.session?.username) item.querySelector('.meta').append(actionsFor(item));
  if (m.edited_at) showText(item, m.text, m.edited_at);
}

/**
 * A message already on screen, seen again (an `edited` frame, or a history after a reconnect):
 * takes a delete or a newer edit, never an older text.
 */
function updateMessage(m) {
  const item = state.shown.get(m.id);
  if (!item || item.dataset.deleted) return;
  if (m.deleted) markDeleted(item);
  else if (m.edited_at && m.edited_at > item.dataset.editedAt) showText(item, m.text, m.edited_at);
}

function applyDeleted(id) {
  const item = state.shown.get(id);
  if (item) markDeleted(item);
}

function markDeleted(item) {
  closeEditor(item);
  item.dataset.deleted = 'true';
  item.classList.add('msg-deleted');
  item.querySelector('.actions')?.remove();
  item.querySelector('.edited')?.remove();
  const text = item.querySelector('.text');
  text.hidden = false;
  text.textContent = 'message deleted';
}

function showText(item, text, editedAt) {
  item.dataset.editedAt = editedAt;
  item.querySelector('.text').textContent = text;
  let mark = item.querySelector('.edited');
  if (!mark) {
    mark = document.createElement('span');
    mark.className = 'edited';
    mark.textContent = '(edited)';
    item.querySelector('.meta time').after(mark);
  }
  mark.title = `edited ${new Date(editedAt).toLocaleString()}`;
}

function actionsFor(item) {
  const actions = document.createElement('span');
  actions.className = 'actions';
  const edit = button('Edit', 'Edit message');
  edit.classList.add('edit');
  edit.addEventListener('click', () => openEditor(item));
  const remove = button('Delete', 'Delete message');
  remove.classList.add('delete');
  let confirmTimer = null;
  remove.addEventListener('click', () => {
    if (!confirmTimer) {
      // A second click within CONFIRM_MS deletes: one stray tap does not.
      remove.textContent = 'Confirm delete';
      remove.setAttribute('aria-label', 'Confirm: delete this message');
      confirmTimer = setTimeout(() => {
        confirmTimer = null;
        remove.textContent = 'Delete';
        remove.setAttribute('aria-label', 'Delete message');
      }, CONFIRM_MS);
      return;
    }
    clearTimeout(confirmTimer);
    sendChange({ type: 'delete', id: item.dataset.id });
  });
  actions.append(edit, remove);
  return actions;
}

function button(label, ariaLabel) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'msg-action';
  b.textContent = label;
  b.setAttribute('aria-label', ariaLabel);
  return b;
}

function openEditor(item) {
  const open = item.querySelector('.edit-form');
  if (open) {
    open.querySelector('input').focus();
    return;
  }
  const text = item.querySelector('.text');
  const form = document.createElement('form');
  form.className = 'edit-form';
  const input = document.createElement('input');
  input.name = 'text';
  input.value = text.textContent;
  input.maxLength = 4000;
  input.autocomplete = 'off';
  input.setAttribute('aria-label', 'Edit message text');
  const save = document.createElement('button');
  save.type = 'submit';
  save.textContent = 'Save';
  const cancel = button('Cancel', 'Cancel editing');
  cancel.classList.add('secondary');
  form.append(input, save, cancel);

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    // The server trims and checks the text (an empty one comes back as an error toast).
    if (input.value.trim() !== text.textContent) sendChange({ type: 'edit', id: item.dataset.id, text: input.value });
    closeEditor(item, true);
  });
  cancel.addEventListener('click', () => closeEditor(item, true));
  input.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    event.preventDefault();
    event.stopPropagation();
    closeEditor(item, true);
  });
  // Clicks inside the editor are not clicks on the message.
  form.addEventListener('click', (event) => event.stopPropagation());
  text.hidden = true;
  text.after(form);
  input.focus();
  input.select();
}

function closeEditor(item, refocus = false) {
  const form = item.querySelector('.edit-form');
  if (!form) return;
  form.remove();
  item.querySelector('.text').hidden = false;
  if (refocus) item.querySelector('.msg-action.edit')?.focus();
}
