// The settings and profile pane: names, phone, who may send you private messages, phone
// visibility, read receipts (shown only when the server has that setting), your picture (with a
// preview before it is uploaded), and the users you blocked.

import { api, apiForm, requestProblem } from './api.js';
import { $ } from './dom.js';
import { loadBlocks } from './blocks.js';
import { state } from './state.js';

const MAX_PICTURE_BYTES = 5 * 1024 * 1024;

const pane = {
  dialog: $('settings-pane'),
  open: $('open-settings'),
  form: $('settings-form'),
  save: $('settings-save'),
  status: $('settings-status'),
  firstName: $('settings-first-name'),
  lastName: $('settings-last-name'),
  phone: $('settings-phone'),
  pmPolicy: $('settings-pm-policy'),
  phonePublic: $('settings-phone-public'),
  receiptsRow: $('settings-read-receipts-row'),
  receipts: $('settings-read-receipts'),
  pictureForm: $('picture-form'),
  file: $('picture-file'),
  preview: $('picture-preview'),
  upload: $('picture-upload'),
  pictureStatus: $('picture-status'),
};

const token = () => state.session?.access_token;
/** An empty field clears the value (null), as the API has it. */
const orNull = (value) => (value.trim() === '' ? null : value.trim());

export function bindSettings() {
  pane.open.addEventListener('click', openSettings);
  pane.form.addEventListener('submit', (event) => {
    event.preventDefault();
    save();
  });
  pane.file.addEventListener('change', previewPicture);
  pane.pictureForm.addEventListener('submit', (event) => {
    event.preventDefault();
    uploadPicture();
  });
  // Every pane closes with its Close button (Esc closes a modal dialog by itself).
  for (const close of document.querySelectorAll('dialog [data-close]')) {
    close.addEventListener('click', () => close.closest('dialog').close());
  }
}

async function openSettings() {
  pane.status.textContent = 'Loading…';
  pane.pictureStatus.textContent = '';
  pane.dialog.showModal();
  try {
    const [me] = await Promise.all([api('GET', '/users/me', undefined, token()), loadBlocks()]);
    fill(me);
    pane.status.textContent = '';
  } catch (error) {
    pane.status.textContent = requestProblem(error);
  }
}

function fill(me) {
  pane.firstName.value = me.first_name ?? '';
  pane.lastName.value = me.last_name ?? '';
  pane.phone.value = me.phone ?? '';
  pane.pmPolicy.value = me.settings.pm_policy;
  pane.phonePublic.checked = me.settings.phone_public;
  // read_receipts is newer than the rest: a server without it gets no toggle for it.
  const hasReceipts = typeof me.settings.read_receipts === 'boolean';
  pane.receiptsRow.hidden = !hasReceipts;
  if (hasReceipts) pane.receipts.checked = me.settings.read_receipts;
  state.pane.picture = null;
  pane.file.value = '';
  pane.upload.disabled = true;
  showPicture(me.picture);
}

async function save() {
  const settings = { pm_policy: pane.pmPolicy.value, phone_public: pane.phonePublic.checked };
  if (!pane.receiptsRow.hidden) settings.read_receipts = pane.receipts.checked;
  const changes = {
    first_name: orNull(pane.firstName.value),
    last_name: orNull(pane.lastName.value),
    phone: orNull(pane.phone.value),
    settings,
  };
  pane.save.disabled = true;
  pane.status.textContent = 'Saving…';
  try {
    fill(await api('POST', '/users/update', changes, token()));
    pane.status.textContent = 'Saved.';
  } catch (error) {
    // The API names the field and the rule ("phone must be at most 100 characters").
    pane.status.textContent = requestProblem(error);
  } finally {
    pane.save.disabled = false;
  }
}

/** Shows the chosen file before it is uploaded, as a data: URL (the page's CSP allows no blob: images). */
function previewPicture() {
  const file = pane.file.files?.[0] ?? null;
  state.pane.picture = file;
  pane.upload.disabled = !file;
  pane.pictureStatus.textContent = '';
  if (!file) return;
  if (file.size > MAX_PICTURE_BYTES) {
    pane.pictureStatus.textContent = 'That image is larger than 5 MiB.';
    pane.upload.disabled = true;
    return;
  }
  const reader = new FileReader();
  reader.addEventListener('load', () => {
    if (state.pane.picture !== file) return;
    pane.preview.src = reader.result;
    pane.preview.alt = 'Preview of your new picture';
    pane.preview.hidden = false;
    pane.pictureStatus.textContent = 'Preview: upload it to use it.';
  });
  reader.readAsDataURL(file);
}

async function uploadPicture() {
  const file = state.pane.picture;
  if (!file) return;
  const form = new FormData();
  form.append('file', file);
  pane.upload.disabled = true;
  pane.pictureStatus.textContent = 'Uploading…';
  try {
    const { picture } = await apiForm('PATCH', '/users/add_picture', form, token());
    state.pane.picture = null;
    pane.file.value = '';
    showPicture(picture);
    pane.pictureStatus.textContent = 'Picture saved.';
  } catch (error) {
    pane.pictureStatus.textContent = requestProblem(error);
    pane.upload.disabled = false;
  }
}

/** The stored picture; its URL stays the same when it changes, so a query string defeats the cache. */
function showPicture(url) {
  pane.preview.hidden = !url;
  if (!url) return;
  pane.preview.src = `${url}?v=${Date.now()}`;
  pane.preview.alt = 'Your picture';
}
