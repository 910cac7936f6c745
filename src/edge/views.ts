import type { ChatMessageRow, PrivateMessageRow, SentMessage, UserData, UserRow } from '../app';
import { ERASED_TEXT } from '../privacy/fields';

/** How read-model rows are shown to clients, by both edges: the chat socket's frames are the API's shapes. */
export const pictureUrl = (user: UserRow): string | null =>
  user.picture ? `/users/${encodeURIComponent(user.username)}/picture` : null;

export const createdUserView = (u: UserRow) => ({
  user_id: u.user_id,
  username: u.username,
  email: u.email,
  first_name: u.first_name,
  last_name: u.last_name,
  phone: u.phone,
});

export const meView = (u: UserRow) => ({
  ...createdUserView(u),
  picture: pictureUrl(u),
  settings: { pm_policy: u.pm_policy, phone_public: u.phone_public },
  created_at: u.created_at,
  updated_at: u.updated_at,
});

export const publicUserView = (u: UserRow) => ({
  username: u.username,
  first_name: u.first_name,
  last_name: u.last_name,
  picture: pictureUrl(u),
  ...(u.phone_public ? { phone: u.phone } : {}),
});

/** A message whose sender was erased keeps its place in the history, without sender or text. */
const sender = (m: { from: string; text: string }) =>
  m.text === ERASED_TEXT ? { from: null, erased: true as const, text: null } : { from: m.from, text: m.text };

export const pmView = (m: PrivateMessageRow) => ({
  type: 'pm' as const,
  id: m.id,
  ...sender(m),
  to: m.to,
  sent_at: m.sent_at,
});
export const chatView = (m: ChatMessageRow) => ({ type: 'chat' as const, id: m.id, ...sender(m), sent_at: m.sent_at });
export const sentView = (sent: SentMessage) => (sent.kind === 'pm' ? pmView(sent.message) : chatView(sent.message));

/** GET /users/me/export: everything parley keeps about the caller (docs/privacy.md lists what and why). */
export const exportView = (d: UserData) => ({
  format: 'parley-export/1',
  exported_at: d.exported_at,
  profile: {
    user_id: d.profile.user_id,
    username: d.profile.username,
    email: d.profile.email,
    first_name: d.profile.first_name,
    last_name: d.profile.last_name,
    phone: d.profile.phone,
    picture: pictureUrl(d.profile),
    created_at: d.profile.created_at,
    updated_at: d.profile.updated_at,
  },
  settings: { pm_policy: d.profile.pm_policy, phone_public: d.profile.phone_public },
  // Client addresses are not recorded with sessions: nothing more is kept about them.
  sessions: d.sessions.map((s) => ({
    session_id: s.session_id,
    started_at: s.started_at,
    expires_at: s.expires_at,
    ended: s.revoked,
  })),
  private_messages: {
    sent: d.private_messages.filter((m) => m.from_id === d.profile.user_id).map(pmView),
    received: d.private_messages.filter((m) => m.to_id === d.profile.user_id).map(pmView),
  },
  chat_messages: d.chat_messages.map(chatView),
});
