import type { EventOfType, Stored } from '../../events';

/** A private message as the inbox and conversations read models hold it. */
export interface PrivateMessageRow {
  id: string;
  position: number;
  from_id: string;
  from: string;
  to_id: string;
  to: string;
  text: string;
  sent_at: string;
}

export function privateMessageRow(event: Stored<EventOfType<'MessageSent'>>): PrivateMessageRow {
  const d = event.data;
  return {
    id: d.message_id,
    position: event.position,
    from_id: d.from_id,
    from: d.from,
    to_id: d.to_id,
    to: d.to,
    text: d.text,
    sent_at: event.time,
  };
}
