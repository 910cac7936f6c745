import type { MessageKind, StoredEvent } from '../../events';

/** An edit or delete of a message, as every message read model applies it (by the message's id). */
export type MessageChange =
  | { change: 'edit'; id: string; from_id: string; to_id?: string; text: string; edited_at: string }
  | { change: 'delete'; id: string; from_id: string; to_id?: string };

/** The change an event makes to messages of `kind`, if it is an edit or delete of one. */
export function messageChangeOf(event: StoredEvent, kind: MessageKind): MessageChange | null {
  if (event.type !== 'MessageEdited' && event.type !== 'MessageDeleted') return null;
  const d = event.data;
  if (d.kind !== kind) return null;
  const parties = { id: d.message_id, from_id: d.from_id, ...(d.to_id === undefined ? {} : { to_id: d.to_id }) };
  return event.type === 'MessageEdited'
    ? { change: 'edit', ...parties, text: event.data.text, edited_at: event.time }
    : { change: 'delete', ...parties };
}
