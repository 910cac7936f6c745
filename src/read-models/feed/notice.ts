import type { ConversationRead, StoredEvent } from '../../events';
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
  | { kind: 'revoked'; position: number; session_id: string; reason: string }
  /** A read marker moved: for the reader's sockets (this device's included: its confirmation). */
  | { kind: 'read'; position: number; read: ConversationRead['data'] }
  /** The same read, for the other person: only when the reader sends read receipts. */
  | { kind: 'receipt'; position: number; read: ConversationRead['data'] };

export type FeedNoticeKind = FeedNotice['kind'];

/** Who is shown a notice: these users (all their sockets), or every connected user. */
export type Audience = readonly string[] | 'everyone';

/** The notices an event makes, in the order they are delivered (an event may tell two people different things). */
export function noticesOf(event: StoredEvent): FeedNotice[] {
  switch (event.type) {
    case 'MessageSent':
      return [{ kind: 'pm', position: event.position, message: privateMessageRow(event) }];
    case 'ChatMessagePosted':
      return [{ kind: 'chat', position: event.position, message: chatMessageRow(event) }];
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
