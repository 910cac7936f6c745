import type { EventOf } from './envelope';

/** A private message. Usernames travel with ids so read models need no look-ups. */
export type MessageSent = EventOf<
  'MessageSent',
  {
    message_id: string;
    from_id: string;
    from: string;
    to_id: string;
    to: string;
    text: string;
    /** The client's idempotency reference, when it gave one. */
    ref?: string;
  }
>;

/** A line in the general chat. */
export type ChatMessagePosted = EventOf<
  'ChatMessagePosted',
  {
    message_id: string;
    from_id: string;
    from: string;
    text: string;
    ref?: string;
  }
>;

/** Which kind of message an edit or delete is about: it names the stream and who sees the change. */
export type MessageKind = 'pm' | 'chat';

/**
 * A message's new text, by its sender. It carries the whole message (sent_at is the original's
 * time; the edit's own time is the event's), so the read models and the live feed need no look-ups.
 */
export type MessageEdited = EventOf<
  'MessageEdited',
  {
    message_id: string;
    kind: MessageKind;
    from_id: string;
    from: string;
    /** For a PM: the recipient. */
    to_id?: string;
    to?: string;
    text: string;
    sent_at: string;
  }
>;

/** A message withdrawn by its sender: it stays in every history as a tombstone. */
export type MessageDeleted = EventOf<
  'MessageDeleted',
  {
    message_id: string;
    kind: MessageKind;
    from_id: string;
    to_id?: string;
  }
>;

export type MessageEvent = MessageSent | ChatMessagePosted | MessageEdited | MessageDeleted;

/** Every message is a stream of its own: no hot stream, and a resent ref collides on its id. */
export const pmStream = (messageId: string): string => `pm-${messageId}`;
export const chatStream = (messageId: string): string => `chat-${messageId}`;
export const messageStream = (kind: MessageKind, messageId: string): string =>
  kind === 'pm' ? pmStream(messageId) : chatStream(messageId);
