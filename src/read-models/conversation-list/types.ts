import type { PrivateMessageRow } from '../kit/private-message';

/** One person the owner exchanged private messages with. */
export interface ConversationEntry {
  peer_id: string;
  peer: string;
  /** The newest message between the two; its position orders the list (most recent activity first). */
  last: PrivateMessageRow;
  /** Log position of the owner's read marker (0: nothing read). */
  read_up_to: number;
  /** Messages received from the peer after the marker. */
  unread: number;
  /** Id of the newest message the peer has read, as far as their receipts told (null: none). */
  seen_up_to: string | null;
}

export type ConversationListOp =
  | {
      kind: 'conversation-list.message';
      owner_id: string;
      peer_id: string;
      peer: string;
      message: PrivateMessageRow;
      /** The owner received it (it counts as unread until read), rather than sent it. */
      received: boolean;
    }
  | { kind: 'conversation-list.read'; owner_id: string; peer_id: string; up_to_position: number }
  /** The peer read the conversation and sent a receipt: the owner's messages up to `up_to` were seen. */
  | { kind: 'conversation-list.seen'; owner_id: string; peer_id: string; up_to: string; up_to_position: number }
  /** The last message was edited or deleted: the entry shows it as it now is (by id, so an older one is left alone). */
  | { kind: 'conversation-list.edit'; owner_id: string; peer_id: string; id: string; text: string; edited_at: string }
  | { kind: 'conversation-list.delete'; owner_id: string; peer_id: string; id: string }
  /** The user erased: their list goes; in others' lists their last message reads as erased. */
  | { kind: 'conversation-list.erase'; user_id: string };

export interface ConversationListPage {
  /** The peer id of the entry the previous page ended with: return only entries older than it. */
  before?: string;
  limit: number;
}

export interface ConversationListQueries {
  /** The owner's conversations, most recent activity first. Null when `before` names no conversation of theirs. */
  conversationList(ownerId: string, page: ConversationListPage): Promise<ConversationEntry[] | null>;
}

/** Per owner and peer: the last message and the read marker. */
export const CONVERSATION_LIST = 'rm_conversation_list';
/** Per owner and peer: the positions of the messages the owner received, to count those after the marker. */
export const CONVERSATION_RECEIVED = 'rm_conversation_received';
