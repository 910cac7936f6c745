import type { AnyBulkWriteOperation, ClientSession, Db, Document, IndexDescription } from 'mongodb';
import type { Op } from './op';

/** Read-model documents are keyed by their natural id (user, session, chat position) or by an ObjectId. */
export type ReadModelDoc = Document & { _id?: string | number };

/** What an op handler writes through: the live collections, or a rebuild's shadows. */
export interface MongoWriter {
  readonly db: Db;
  readonly session: ClientSession | undefined;
  /** The collection actually written for the one whose live name is `live`. */
  collection(live: string): string;
  /** Queues a write; queued writes run as one ordered bulk write per collection. */
  write(live: string, op: AnyBulkWriteOperation<ReadModelDoc>): void;
  /** Queues work to run after the queued writes, once per key: a later one under the same key replaces it. */
  after(key: string, tag: unknown, task: () => Promise<void>): void;
  /** The tag of the work queued under `key`, if any. */
  pending(key: string): unknown;
  /** Runs the queued writes, then the queued work. */
  flush(): Promise<void>;
}

export type MongoHandlers<O extends Op> = {
  readonly [K in O['kind']]: (op: Extract<O, { kind: K }>, w: MongoWriter) => void | Promise<void>;
};

export interface MongoReadModel<O extends Op, Q extends object> {
  /** Indexes of each owned collection (a rebuild's shadow gets the same). */
  readonly indexes: Readonly<Record<string, IndexDescription[]>>;
  /** How each kind of op is written, with the same meaning as on SQLite. */
  readonly apply: MongoHandlers<O>;
  queries(db: Db): Q;
}

/** Erased for the registry: an op only ever reaches the handler registered for its kind. */
export interface AnyMongoReadModel {
  readonly indexes: Readonly<Record<string, IndexDescription[]>>;
  readonly apply: Readonly<Record<string, (op: never, w: MongoWriter) => void | Promise<void>>>;
  queries(db: Db): object;
}

/** Inserts the document unless one matching `key` exists (SQL's INSERT OR IGNORE / ON CONFLICT DO NOTHING). */
export function insertOnce(key: Document, fields: Document): AnyBulkWriteOperation<ReadModelDoc> {
  return { updateOne: { filter: key, update: { $setOnInsert: fields }, upsert: true } };
}

/** Position to page back from; null when `before` names no message. */
export async function cursor(
  before: string | undefined,
  positionOf: (id: string) => Promise<{ position: number } | null>,
): Promise<number | null> {
  if (before === undefined) return Number.MAX_SAFE_INTEGER;
  return (await positionOf(before))?.position ?? null;
}
