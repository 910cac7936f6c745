import type { PrivateMessageRow } from '../kit/private-message';

/** How many received private messages the inbox keeps per user: the brief's "last 20". */
export const INBOX_SIZE = 20;

/** Adds to the recipient's inbox, keeping only their newest `keep` messages. */
export type InboxOp =
  | { kind: 'inbox.add'; message: PrivateMessageRow; keep: number }
  /** Edits and deletes reach only the recipient's inbox, and only while it still holds the message. */
  | { kind: 'inbox.edit'; owner_id: string; id: string; text: string; edited_at: string }
  | { kind: 'inbox.delete'; owner_id: string; id: string }
  /** The user erased: their inbox goes, and what they sent to others reads as erased there. */
  | { kind: 'inbox.erase'; user_id: string };

export interface InboxQueries {
  /** The user's newest received private messages, oldest first. */
  inbox(userId: string, limit: number): Promise<PrivateMessageRow[]>;
}

/** The table (SQLite) and collection (MongoDB). */
export const INBOX = 'rm_inbox';
