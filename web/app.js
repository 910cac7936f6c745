// The parley chat page, entry module: creates accounts and logs in over the REST API, keeps the
// access token fresh, and talks to /messenger/ws (protocol: docs/websocket.md). No framework and
// no inline code, so a strict CSP holds. This file only wires the modules together:
//   state.js    everything that changes, in one object     dom.js      the page's elements
//   api.js      the REST client                             session.js  tokens: login, renewal, end
//   socket.js   the chat socket and its frames              views.js    messages, status, errors
//   forms.js    login, composer, log out                    register.js creating an account
//   search.js   finding someone to write to                 settings.js the settings and profile pane
//   blocks.js   the user card: block, unblock
//   edit.js     editing and deleting your own messages
//   privacy.js  downloading your data, deleting the account

import { bindBlocks, closeDialogs, resetBlocks } from './blocks.js';
//   search.js   finding someone to write to                conversations.js  the sidebar, one conversation, read state

import { bindConversations, clearConversations } from './conversations.js';
import { bindEdit } from './edit.js';
import { bindForms } from './forms.js';
import { bindPrivacy } from './privacy.js';
import { bindRegister, clearRegisterErrors } from './register.js';
import { bindSearch } from './search.js';
import { bindSettings } from './settings.js';
import { restoreSession, sessionEvents } from './session.js';
import { disconnect, reconnectAfterRefresh, sendToken } from './socket.js';
import { clearMessages, showChat, showLogin } from './views.js';

sessionEvents.addEventListener('renewed', sendToken);
sessionEvents.addEventListener('ended', (event) => {
  disconnect();
  closeDialogs();
  resetBlocks();
  clearMessages();
  clearConversations();
  showLogin(event.detail);
  clearRegisterErrors();
});

bindForms();
bindRegister();
bindSearch();
bindSettings();
bindBlocks();
bindConversations();
bindEdit();
bindPrivacy();

// A reload keeps the session: renew the access token with the stored refresh token.
if (restoreSession()) {
  showChat();
  reconnectAfterRefresh();
}
