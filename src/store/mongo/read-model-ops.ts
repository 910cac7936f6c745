import type { AnyBulkWriteOperation, ClientSession, Db } from 'mongodb';
import { READ_MODELS } from '../../read-models';
import type { MongoWriter, ReadModelDoc } from '../../read-models/kit/mongo';
import type { ReadModelOp } from '../read-models';

/** Where each read model lives: the live collections, or a rebuild's shadow ones (by live name). */
export type CollectionNames = (live: string) => string;

export const LIVE_COLLECTIONS: CollectionNames = (live) => live;

/** Each kind of op's handler, from the read model that owns it. */
const HANDLERS = new Map(READ_MODELS.flatMap((m) => Object.entries(m.mongo.apply)));

/**
 * Applies read-model ops with the same meaning as the SQLite engine (see src/read-models/<name>/):
 * inserts that ignore a row already there, a user change that only applies to an older version,
 * a revocation that keeps the first reason, an inbox trimmed to the newest `keep` per owner.
 *
 * Consecutive ops become one ordered bulk write per collection (ops on different collections are
 * independent; order within a collection is kept). Work a handler queues with after() (the inbox's
 * trims) runs once per key after those writes.
 */
export async function applyOps(
  db: Db,
  names: CollectionNames,
  ops: ReadModelOp[],
  session?: ClientSession,
): Promise<void> {
  const writes = new Map<string, AnyBulkWriteOperation<ReadModelDoc>[]>();
  const later = new Map<string, { tag: unknown; task: () => Promise<void> }>();
  const writer: MongoWriter = {
    db,
    session,
    collection: names,
    write(live, op) {
      const list = writes.get(live);
      if (list) list.push(op);
      else writes.set(live, [op]);
    },
    after: (key, tag, task) => void later.set(key, { tag, task }),
    pending: (key) => later.get(key)?.tag,
    async flush() {
      for (const [live, list] of writes) {
        await db.collection<ReadModelDoc>(names(live)).bulkWrite(list, { ordered: true, session });
      }
      writes.clear();
      for (const { task } of later.values()) await task();
      later.clear();
    },
  };
  for (const op of ops) {
    const handler = HANDLERS.get(op.kind);
    if (!handler) throw new Error(`no read model writes ${op.kind} ops`);
    const pending = handler(op, writer);
    if (pending) await pending;
  }
  await writer.flush();
}
