import type { ClientSession, Collection, Db, IndexDescription } from 'mongodb';
import { READ_MODELS } from '../../read-models';

/** Collection names. Read-model collections are prefixed rm_ and can be rebuilt from events. */
export const EVENTS = 'events';
/** Holds the log's position counter (document {_id: 'events', position}). */
export const COUNTERS = 'counters';
export const CHECKPOINTS = 'checkpoints';
export const PICTURE_BUCKET = 'pictures';
export const RATE_LIMITS = 'rate_limits';

/** A read model's collection, named as in src/read-models/<name>/types.ts. */
export type ReadModelCollection = string;

/** Indexes each read-model collection needs for its queries (src/read-models/<name>/mongo.ts). */
export const READ_MODEL_INDEXES: Record<ReadModelCollection, IndexDescription[]> = Object.fromEntries(
  READ_MODELS.flatMap((m) => Object.entries(m.mongo.indexes)),
);

/** Collections each projection owns: cleared when it is reset, swapped when a rebuild is promoted. */
export const PROJECTION_COLLECTIONS: Record<string, ReadModelCollection[]> = Object.fromEntries(
  READ_MODELS.map((m) => [m.projection.name, [...m.tables]]),
);

export function projectionCollections(projection: string): ReadModelCollection[] {
  const collections = PROJECTION_COLLECTIONS[projection];
  if (!collections) throw new Error(`unknown projection: ${projection}`);
  return collections;
}

/**
 * Creates every collection up front (a transaction must not be the first to write to a collection
 * under snapshot read concern) and the indexes the engine relies on. Idempotent.
 */
export async function ensureSchema(db: Db): Promise<void> {
  await ensureCollections(db, [EVENTS, COUNTERS, CHECKPOINTS, RATE_LIMITS, ...Object.keys(READ_MODEL_INDEXES)]);
  await db.collection(EVENTS).createIndex({ stream: 1, version: 1 }, { name: 'stream_version', unique: true });
  for (const [name, indexes] of Object.entries(READ_MODEL_INDEXES)) {
    await db.collection(name).createIndexes(indexes);
  }
  // rate-limiter-flexible's own indexes (under the names it would give them), made here once rather
  // than by every limiter in the background.
  await db.collection(RATE_LIMITS).createIndex({ expire: -1 }, { expireAfterSeconds: 0 });
  await db.collection(RATE_LIMITS).createIndex({ key: 1 }, { unique: true });
  // The counter exists before any append, so appends only ever $inc it. Created at the log's head:
  // a database restored without it must not hand out positions that are taken.
  const head = await logHead(db.collection<{ _id: number }>(EVENTS));
  await db
    .collection<{ _id: string; position: number }>(COUNTERS)
    .updateOne({ _id: EVENTS }, { $setOnInsert: { position: head } }, { upsert: true });
}

/** Position of the newest stored event (0 for an empty log): the _id index's last entry. */
export async function logHead<T extends { _id: number }>(
  events: Collection<T>,
  session?: ClientSession,
): Promise<number> {
  const last = await events
    .find({}, { session, projection: { _id: 1 } })
    .sort({ _id: -1 })
    .limit(1)
    .next();
  return typeof last?._id === 'number' ? last._id : 0;
}

export async function ensureCollections(db: Db, names: string[]): Promise<void> {
  const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
  for (const name of names) {
    if (existing.has(name)) continue;
    try {
      await db.createCollection(name);
    } catch (error) {
      // Another instance created it between our listing and now.
      if (!hasCode(error, NAMESPACE_EXISTS)) throw error;
    }
  }
}

export const DUPLICATE_KEY = 11000;
export const NAMESPACE_EXISTS = 48;
export const NAMESPACE_NOT_FOUND = 26;
export const CHANGE_STREAM_HISTORY_LOST = 286;

export function hasCode(error: unknown, code: number): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}
