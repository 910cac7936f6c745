import type { ReadModelOp, ReadModelQueries } from '../read-models';

/**
 * The read-model port. Projections are pure functions from events to read-model ops (each read
 * model, its projection, tables and queries live in one folder under src/read-models); each engine
 * applies a batch of ops atomically together with the projection's checkpoint, and answers the
 * queries. Every operation is idempotent: applying the same one twice changes nothing.
 */
export type {
  ChatMessageRow,
  Page,
  PrivateMessageRow,
  ReadModelOp,
  SessionRow,
  UserChanges,
  UserRow,
} from '../read-models';
export { pairKey } from '../read-models';

/** What a read model being rebuilt is called beside the live one (table or collection). */
export const SHADOW_SUFFIX = '__rebuild';

/**
 * Thrown by apply() when the checkpoint is no longer where the caller last saw it: another process
 * (a rebuild that was promoted, or another app instance) moved it. Nothing was applied.
 */
export class CheckpointMovedError extends Error {
  constructor(
    readonly projection: string,
    readonly expected: number,
    readonly actual: number,
  ) {
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

/**
 * The engine's read models: the writes below, and every registered read model's queries
 * (userById, userByKey, searchUsers, session, activeSessionIds, inbox, conversation, chat, ...),
 * declared in each folder's types.ts.
 */
export interface ReadModelStore extends ReadModelQueries {
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
}
