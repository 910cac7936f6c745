import type { EventOfType, Stored } from '../events';
import type { ChatMessageRow, PrivateMessageRow } from '../store/read-models';
import type { Projection } from './projection';

/** How many received private messages the inbox keeps per user: the brief's "last 20". */
export const INBOX_SIZE = 20;

export function privateMessageRow(event: Stored<EventOfType<'MessageSent'>>): PrivateMessageRow {
  const d = event.data;
  return { id: d.message_id, position: event.position, from_id: d.from_id, from: d.from, to_id: d.to_id, to: d.to, text: d.text, sent_at: event.time };
}

export function chatMessageRow(event: Stored<EventOfType<'ChatMessagePosted'>>): ChatMessageRow {
  const d = event.data;
  return { id: d.message_id, position: event.position, from_id: d.from_id, from: d.from, text: d.text, sent_at: event.time };
}

/** Each user's newest received private messages: what a client loads when it connects. */
export const inboxProjection: Projection = {
  name: 'inbox',
  project: (event) => (event.type === 'MessageSent' ? [{ kind: 'inbox.add', message: privateMessageRow(event), keep: INBOX_SIZE }] : []),
};

/** The whole private history between two users. */
export const conversationsProjection: Projection = {
  name: 'conversations',
  project: (event) => (event.type === 'MessageSent' ? [{ kind: 'conversation.add', message: privateMessageRow(event) }] : []),
};

/** The general chat's history. */
export const chatProjection: Projection = {
  name: 'chat',
  project: (event) => (event.type === 'ChatMessagePosted' ? [{ kind: 'chat.add', message: chatMessageRow(event) }] : []),
};
