import type { Page } from '../kit/read-model';

export interface ChatMessageRow {
  id: string;
  position: number;
  from_id: string;
  from: string;
  text: string;
  sent_at: string;
}

export type ChatOp = { kind: 'chat.add'; message: ChatMessageRow };

export interface ChatQueries {
  /** General chat, newest first. Null when `before` names no chat message. */
  chat(page: Page): Promise<ChatMessageRow[] | null>;
}

/** The table (SQLite) and collection (MongoDB). */
export const CHAT = 'rm_chat';
