import type { PictureRef, PmPolicy, RevocationReason } from '../events';

/**
 * The read-model port. Projections are pure functions from events to the write operations below;
 * each engine applies a batch of them atomically together with the projection's checkpoint, and
 * answers the queries. Every operation is idempotent: applying the same one twice changes nothing.
 */
export interface UserRow {
  user_id: string;
  username: string;
  /** The username normalised and case-folded: what look-ups and search compare. */
  username_key: string;
  email: string;
  first_name: string | null;
  last_name: string | null;
  phone: string | null;
  pm_policy: PmPolicy;
  phone_public: boolean;
  picture: PictureRef | null;
  created_at: string;
  updated_at: string;
  /** Stream version of the user this row reflects: older changes are ignored. */
  version: number;
}

export type UserChanges = Partial<Pick<UserRow, 'email' | 'first_name' | 'last_name' | 'phone' | 'pm_policy' | 'phone_public' | 'picture'>>;

export interface SessionRow {
  session_id: string;
  user_id: string;
  refresh_id: string;
  expires_at: string;
  started_at: string;
  revoked: RevocationReason | null;
}

export interface PrivateMessageRow {
  id: string;
  position: number;
  from_id: string;
  from: string;
  to_id: string;
  to: string;
  text: string;
  sent_at: string;
}

export interface ChatMessageRow {
  id: string;
  position: number;
  from_id: string;
  from: string;
  text: string;
  sent_at: string;
}

export type ReadModelOp =
  | { kind: 'user.insert'; user: UserRow }
  | { kind: 'user.change'; user_id: string; version: number; updated_at: string; changes: UserChanges }
  | { kind: 'session.start'; session: SessionRow }
  | { kind: 'session.refresh'; session_id: string; refresh_id: string; expires_at: string }
  | { kind: 'session.revoke'; session_id: string; reason: RevocationReason }
  /** Adds to the recipient's inbox, keeping only their newest `keep` messages. */
  | { kind: 'inbox.add'; message: PrivateMessageRow; keep: number }
  | { kind: 'conversation.add'; message: PrivateMessageRow }
  | { kind: 'chat.add'; message: ChatMessageRow };

/** The key of a conversation between two users, the same whichever of them sent. */
export const pairKey = (a: string, b: string): string => (a < b ? `${a}:${b}` : `${b}:${a}`);

/** What a read model being rebuilt is called beside the live one (table or collection). */
export const SHADOW_SUFFIX = '__rebuild';

/** The read models, named alike on every engine (SQLite tables, MongoDB collections). */
export type ReadModelName = 'rm_users' | 'rm_sessions' | 'rm_inbox' | 'rm_conversations' | 'rm_chat';

/** The read model each kind of op writes to. */
export const READ_MODEL_OF: Record<ReadModelOp['kind'], ReadModelName> = {
  'user.insert': 'rm_users',
  'user.change': 'rm_users',
  'session.start': 'rm_sessions',
  'session.refresh': 'rm_sessions',
  'session.revoke': 'rm_sessions',
  'inbox.add': 'rm_inbox',
  'conversation.add': 'rm_conversations',
  'chat.add': 'rm_chat',
};

export interface Page {
  /** Return only messages older than the message with this id. */
  before?: string;
  limit: number;
}

/**
 * Thrown by apply() when the checkpoint is no longer where the caller last saw it: another process
 * (a rebuild that was promoted, or another app instance) moved it. Nothing was applied.
 */
export class CheckpointMovedError extends Error {
  constructor(readonly projection: string, readonly expected: number, readonly actual: number) {
    super(`checkpoint of ${projection} is at ${actual}, not ${expected}`);
    this.name = 'CheckpointMovedError';
  }
}

/** A projection's read model being built afresh beside the live one, invisible to queries. */
export interface ShadowReadModel {
  /** Position of the last event applied to the shadow. */
  readonly position: number;
  apply(ops: ReadModelOp[], position: number): Promise<void>;
  /** Atomically replaces the live read model and its checkpoint with this one. */
  promote(): Promise<void>;
  /** Drops the shadow, leaving the live read model as it was. */
  discard(): Promise<void>;
}

export interface ReadModelStore {
  /**
   * Applies ops and moves the projection's checkpoint from `from` to `to`, atomically; throws
   * CheckpointMovedError (applying nothing) when the checkpoint is not at `from`.
   */
  apply(projection: string, ops: ReadModelOp[], from: number, to: number): Promise<void>;
  checkpoint(projection: string): Promise<number>;
  /** Forgets a projection's data and checkpoint, so it rebuilds from the start of the log. */
  reset(projection: string): Promise<void>;
  /** Starts building a projection's read model from position 0 in fresh tables/collections. */
  shadow(projection: string): Promise<ShadowReadModel>;

  userById(userId: string): Promise<UserRow | null>;
  /** Looks a user up by the normalised, case-folded username key. */
  userByKey(usernameKey: string): Promise<UserRow | null>;
  /** Users whose key starts with `prefix`, ordered by key. */
  searchUsers(prefixKey: string, limit: number): Promise<UserRow[]>;

  session(sessionId: string): Promise<SessionRow | null>;
  activeSessionIds(userId: string): Promise<string[]>;

  /** The user's newest received private messages, oldest first. */
  inbox(userId: string, limit: number): Promise<PrivateMessageRow[]>;
  /** Messages between two users, newest first. Null when `before` names no message of theirs. */
  conversation(userA: string, userB: string, page: Page): Promise<PrivateMessageRow[] | null>;
  /** General chat, newest first. Null when `before` names no chat message. */
  chat(page: Page): Promise<ChatMessageRow[] | null>;
}
