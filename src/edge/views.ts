import type {
  ChatMessageRow,
  ConversationEntry,
  CurrentMessage,
  FeedNotice,
  PrivateMessageRow,
  SentMessage,
  UserData,
  UserRow,
} from '../app';
import { encodeCursor } from './cursor';
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
  settings: { pm_policy: u.pm_policy, phone_public: u.phone_public, read_receipts: u.read_receipts },
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

/**
 * What every message view shows of edits, deletes and erasure: a tombstone has no text; a message
 * whose sender erased their account keeps its place without sender or text (its text reads as
 * ERASED_TEXT, which no message can be sent with).
 */
const changeView = (m: Pick<PrivateMessageRow, 'text' | 'edited_at' | 'deleted'>) => {
  const erased = !m.deleted && m.text === ERASED_TEXT;
  return {
    ...(erased ? { from: null, erased: true as const } : {}),
    text: m.deleted || erased ? null : m.text,
    edited_at: m.edited_at,
    deleted: m.deleted,
  };
};

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

export const conversationEntryView = (e: ConversationEntry) => ({
  with: e.peer,
  last_message: pmView(e.last),
  unread: e.unread,
  seen_up_to: e.seen_up_to,
});

type ReadNotice = Extract<FeedNotice, { kind: 'read' }>['read'];
/** What the reader's own sockets are told: the marker moved (on this device or another). */
export const readView = (r: ReadNotice) => ({ type: 'read' as const, with: r.with, up_to: r.up_to });
/** What the other person's sockets are told, when the reader sends receipts. */
export const receiptView = (r: ReadNotice) => ({ type: 'receipt' as const, by: r.username, up_to: r.up_to });
/** A frame a client is sent for a notice: the same live and in a resync. */
export type NoticeFrame = { type: string; cursor: string; [field: string]: unknown };

/**
 * The frame for a notice, with the cursor of its log position; null for a notice that is no frame
 * (a revoked session closes sockets). Live delivery and both resyncs (ws `sync`, GET /messenger/sync)
 * use this one function, so a frame looks the same however it arrives.
 */
export function frameOf(notice: FeedNotice): NoticeFrame | null {
  const cursor = encodeCursor(notice.position);
  switch (notice.kind) {
    case 'pm':
      return { ...pmView(notice.message), cursor };
    case 'chat':
      return { ...chatView(notice.message), cursor };
    case 'edited':
      return {
        type: 'edited',
        message: notice.message_kind === 'pm' ? pmView(notice.message) : chatView(notice.message),
        cursor,
      };
    case 'deleted':
      return { type: 'deleted', id: notice.message.id, cursor };
    case 'read':
      return { ...readView(notice.read), cursor };
    case 'receipt':
      return { ...receiptView(notice.read), cursor };
    case 'revoked':
      return null;
    default: {
      // A notice kind added to the feed without a frame here fails to compile.
      const unhandled: never = notice;
      return unhandled;
    }
  }
}

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
  settings: {
    pm_policy: d.profile.pm_policy,
    phone_public: d.profile.phone_public,
    read_receipts: d.profile.read_receipts,
  },
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
  blocks: d.blocks.map((b) => ({ username: b.blocked, since_position: b.position })),
  read_markers: d.conversations.map((c) => ({
    with: c.peer,
    read_up_to_position: c.read_up_to,
    their_receipts_up_to: c.seen_up_to,
  })),
});
