import type { Page } from '../kit/read-model';

export interface ChatMessageRow {
  id: string;
  position: number;
  from_id: string;
  from: string;
  text: string;
  sent_at: string;
}

export type ChatOp =
  | { kind: 'chat.add'; message: ChatMessageRow }
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
