import type { Page } from '../kit/read-model';
import type { PrivateMessageRow } from '../kit/private-message';

export type ConversationOp =
  | { kind: 'conversation.add'; message: PrivateMessageRow }
  | { kind: 'conversation.edit'; pair: string; id: string; text: string; edited_at: string }
  | { kind: 'conversation.delete'; pair: string; id: string };

export interface ConversationsQueries {
  /** Messages between two users, newest first. Null when `before` names no message of theirs. */
  conversation(userA: string, userB: string, page: Page): Promise<PrivateMessageRow[] | null>;
}

/** The table (SQLite) and collection (MongoDB). */
export const CONVERSATIONS = 'rm_conversations';

/** The key of a conversation between two users, the same whichever of them sent. */
export const pairKey = (a: string, b: string): string => (a < b ? `${a}:${b}` : `${b}:${a}`);
