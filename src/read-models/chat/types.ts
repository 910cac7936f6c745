import type { Page } from '../kit/read-model';

export interface ChatMessageRow {
  id: string;
  position: number;
  from_id: string;
  from: string;
  /** Null once deleted. */
  text: string | null;
  sent_at: string;
  /** When the sender last edited it; null when never. */
  edited_at: string | null;
  /** A tombstone: the line stays in its place in the chat history, without its text. */
  deleted: boolean;
}

export type ChatOp =
  | { kind: 'chat.add'; message: ChatMessageRow }
  | { kind: 'chat.edit'; id: string; text: string; edited_at: string }
  | { kind: 'chat.delete'; id: string }
  /** The user erased: their lines stay in the chat, in place, as erased. */
  | { kind: 'chat.erase'; user_id: string };

export interface ChatQueries {
  /** General chat, newest first. Null when `before` names no chat message. */
  chat(page: Page): Promise<ChatMessageRow[] | null>;
  /** Every line the user posted, oldest first (for the data export). */
  chatOf(userId: string): Promise<ChatMessageRow[]>;
}

/** The table (SQLite) and collection (MongoDB). */
export const CHAT = 'rm_chat';
