import type { ClientSession, Collection, Db, IndexDescription } from 'mongodb';
import type { ReadModelName } from '../read-models';

/** Collection names. Read-model collections are prefixed rm_ and can be rebuilt from events. */
export const EVENTS = 'events';
/** Holds the log's position counter (document {_id: 'events', position}). */
export const COUNTERS = 'counters';
export const CHECKPOINTS = 'checkpoints';
export const PICTURE_BUCKET = 'pictures';
export const RATE_LIMITS = 'rate_limits';

export type ReadModelCollection = ReadModelName;

/** Indexes each read-model collection needs for the queries in read-models.ts. */
export const READ_MODEL_INDEXES: Record<ReadModelCollection, IndexDescription[]> = {
  rm_users: [{ key: { username_key: 1 }, name: 'username_key', unique: true }],
  rm_sessions: [{ key: { user_id: 1 }, name: 'user_id' }],
  rm_inbox: [{ key: { owner_id: 1, position: 1 }, name: 'owner_position', unique: true }],
  rm_conversations: [
    { key: { pair: 1, position: 1 }, name: 'pair_position', unique: true },
    { key: { id: 1 }, name: 'id' },
  ],
  rm_chat: [{ key: { id: 1 }, name: 'id' }],
};

/** Collections each projection owns: cleared when it is reset, swapped when a rebuild is promoted. */
export const PROJECTION_COLLECTIONS: Record<string, ReadModelCollection[]> = {
  users: ['rm_users'],
  sessions: ['rm_sessions'],
  inbox: ['rm_inbox'],
  conversations: ['rm_conversations'],
  chat: ['rm_chat'],
};

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
  await db.collection<{ _id: string; position: number }>(COUNTERS).updateOne(
    { _id: EVENTS }, { $setOnInsert: { position: head } }, { upsert: true },
  );
}

/** Position of the newest stored event (0 for an empty log): the _id index's last entry. */
export async function logHead<T extends { _id: number }>(
  events: Collection<T>, session?: ClientSession,
): Promise<number> {
  const last = await events.find({}, { session, projection: { _id: 1 } }).sort({ _id: -1 }).limit(1).next();
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
