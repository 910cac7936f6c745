import type { EventOf } from './envelope';

/**
 * A user read a private conversation up to a message. It carries everything the read models and
 * the live frames need (usernames, the message's log position, whether to send a receipt), so
 * neither looks anything up.
 */
export type ConversationRead = EventOf<
  'ConversationRead',
  {
    /** The reader. */
    user_id: string;
    username: string;
    /** The other person of the conversation. */
    with_id: string;
    with: string;
    /** Id of the newest message read: every message from `with` up to it is read. */
    up_to: string;
    /** Log position of that message: markers compare by it, and never move backwards. */
    up_to_position: number;
    /** The reader's read_receipts setting when deciding: whether `with` is told. */
    receipt: boolean;
  }
>;

export type ConversationEvent = ConversationRead;

/**
 * The reader's marker for one conversation has a stream of its own: marking read contends only
 * with the same reader marking the same conversation, and the reader's user stream stays short.
 */
export const readsStream = (userId: string, withId: string): string => `reads-${userId}-${withId}`;
