import type { ChatMessageRow, CurrentMessage, PrivateMessageRow, SentMessage, UserRow } from '../app';

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

/** What every message view shows of edits and deletes: a tombstone has no text. */
const changeView = (m: Pick<PrivateMessageRow, 'text' | 'edited_at' | 'deleted'>) => ({
  text: m.deleted ? null : m.text,
  edited_at: m.edited_at,
  deleted: m.deleted,
});

/** Views need no log position: an edited message is shown from its edit event. */
export type PmViewable = Omit<PrivateMessageRow, 'position'>;
export type ChatViewable = Omit<ChatMessageRow, 'position'>;

export const pmView = (m: PmViewable) => ({
  type: 'pm' as const,
  id: m.id,
  from: m.from,
  to: m.to,
  ...changeView(m),
  sent_at: m.sent_at,
});
export const chatView = (m: ChatViewable) => ({
  type: 'chat' as const,
  id: m.id,
  from: m.from,
  ...changeView(m),
  sent_at: m.sent_at,
});
export const sentView = (sent: SentMessage) => (sent.kind === 'pm' ? pmView(sent.message) : chatView(sent.message));
export const currentView = (m: CurrentMessage) => (m.kind === 'pm' ? pmView(m.message) : chatView(m.message));
