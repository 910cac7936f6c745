import type { ConversationRead, EventOfType, MessageKind, Stored, StoredEvent } from '../../events';
import { chatMessageRow } from '../chat/projection';
import type { ChatMessageRow } from '../chat/types';
import { privateMessageRow, type PrivateMessageRow } from '../kit/private-message';

/**
 * What the live feed hands out, in log order: things a user sees (messages) and sessions that
 * ended. Each notice carries the log position of its event: that is what a frame's cursor encodes.
 * This is the one mapping from events to what clients are told, shared by live delivery
 * (src/ws/chat-server.ts) and resync (the feed read model, which stores these notices).
 */
export type FeedNotice =
  | { kind: 'pm'; position: number; message: PrivateMessageRow }
  | { kind: 'chat'; position: number; message: ChatMessageRow }
  | { kind: 'edited'; position: number; message_kind: 'pm'; message: Omit<PrivateMessageRow, 'position'> }
  | { kind: 'edited'; position: number; message_kind: 'chat'; message: Omit<ChatMessageRow, 'position'> }
  | { kind: 'deleted'; position: number; message_kind: MessageKind; message: DeletedMessage }
  | { kind: 'revoked'; position: number; session_id: string; reason: string }
  /** A read marker moved: for the reader's sockets (this device's included: its confirmation). */
  | { kind: 'read'; position: number; read: ConversationRead['data'] }
  /** The same read, for the other person: only when the reader sends read receipts. */
  | { kind: 'receipt'; position: number; read: ConversationRead['data'] };

export type FeedNoticeKind = FeedNotice['kind'];

/** A message as an edit leaves it, without its log position. */
export type EditedMessage =
  | { kind: 'pm'; message: Omit<PrivateMessageRow, 'position'> }
  | { kind: 'chat'; message: Omit<ChatMessageRow, 'position'> };

/** Who sees a deleted message go: its sender, and for a PM its recipient (everyone for a chat line). */
export interface DeletedMessage {
  id: string;
  from_id: string;
  to_id?: string;
}

/** The message an edit leaves, from the edit event alone (it carries the whole message). */
export function editedMessage(event: Stored<EventOfType<'MessageEdited'>>): EditedMessage {
  const d = event.data;
  const common = {
    id: d.message_id,
    from_id: d.from_id,
    from: d.from,
    text: d.text,
    sent_at: d.sent_at,
    edited_at: event.time,
    deleted: false,
  };
  return d.kind === 'pm'
    ? { kind: 'pm', message: { ...common, to_id: d.to_id!, to: d.to! } }
    : { kind: 'chat', message: common };
}

/** Who is shown a notice: these users (all their sockets), or every connected user. */
export type Audience = readonly string[] | 'everyone';

/** The notices an event makes, in the order they are delivered (an event may tell two people different things). */
export function noticesOf(event: StoredEvent): FeedNotice[] {
  switch (event.type) {
    case 'MessageSent':
      return [{ kind: 'pm', position: event.position, message: privateMessageRow(event) }];
    case 'ChatMessagePosted':
      return [{ kind: 'chat', position: event.position, message: chatMessageRow(event) }];
    case 'MessageEdited': {
      const edited = editedMessage(event);
      const position = event.position;
      return [
        edited.kind === 'pm'
          ? { kind: 'edited', position, message_kind: 'pm', message: edited.message }
          : { kind: 'edited', position, message_kind: 'chat', message: edited.message },
      ];
    }
    case 'MessageDeleted': {
      const { message_id, kind, from_id, to_id } = event.data;
      const message = { id: message_id, from_id, ...(to_id === undefined ? {} : { to_id }) };
      return [{ kind: 'deleted', position: event.position, message_kind: kind, message }];
    }
    case 'SessionRevoked': {
      const { session_id, reason } = event.data;
      return [{ kind: 'revoked', position: event.position, session_id, reason }];
    }
    case 'ConversationRead': {
      const read = { kind: 'read' as const, position: event.position, read: event.data };
      return event.data.receipt ? [read, { ...read, kind: 'receipt' as const }] : [read];
    }
    default:
      return [];
  }
}

/**
 * Who sees a notice. An empty audience means no user is shown a frame for it (a revocation only
 * closes the session's sockets): such notices are delivered live but never stored for resync.
 */
export function audienceOf(notice: FeedNotice): Audience {
  switch (notice.kind) {
    case 'pm':
      return [notice.message.to_id, notice.message.from_id];
    case 'chat':
      return 'everyone';
    case 'edited':
    case 'deleted':
      // A change of a message goes where the message went.
      return notice.message_kind === 'chat' ? 'everyone' : [notice.message.from_id, notice.message.to_id!];
    case 'read':
      return [notice.read.user_id];
    case 'receipt':
      return [notice.read.with_id];
    case 'revoked':
      return [];
    default:
      return assertNever(notice);
  }
}

function assertNever(notice: never): never {
  throw new Error(`a feed notice without an audience: ${JSON.stringify(notice)}`);
}
