import type { Page } from '../kit/read-model';
import type { PrivateMessageRow } from '../kit/private-message';

export type ConversationOp =
  | { kind: 'conversation.add'; message: PrivateMessageRow }
  | { kind: 'conversation.edit'; pair: string; id: string; text: string; edited_at: string }
  | { kind: 'conversation.delete'; pair: string; id: string }
  /** The user erased: what they sent stays in the others' histories, in place, as erased. */
  | { kind: 'conversation.erase'; user_id: string };

export interface ConversationsQueries {
  /** Messages between two users, newest first. Null when `before` names no message of theirs. */
  conversation(userA: string, userB: string, page: Page): Promise<PrivateMessageRow[] | null>;
  /** Every private message the user sent or received, oldest first (for the data export). */
  messagesOf(userId: string): Promise<PrivateMessageRow[]>;
}

/** The table (SQLite) and collection (MongoDB). */
export const CONVERSATIONS = 'rm_conversations';

/** The key of a conversation between two users, the same whichever of them sent. */
export const pairKey = (a: string, b: string): string => (a < b ? `${a}:${b}` : `${b}:${a}`);
