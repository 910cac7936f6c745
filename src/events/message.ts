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

export type MessageEvent = MessageSent | ChatMessagePosted;

/** Every message is a stream of its own: no hot stream, and a resent ref collides on its id. */
export const pmStream = (messageId: string): string => `pm-${messageId}`;
export const chatStream = (messageId: string): string => `chat-${messageId}`;
