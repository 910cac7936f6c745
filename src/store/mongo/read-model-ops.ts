import type { AnyBulkWriteOperation, ClientSession, Db, Document } from 'mongodb';
import { pairKey, type ReadModelOp, type UserChanges } from '../read-models';
import type { ReadModelCollection } from './schema';

/** Read-model documents are keyed by their natural id (user, session, chat position) or by an ObjectId. */
type ReadModelDoc = Document & { _id?: string | number };

/** Both directions of a conversation share one key. */

/** Where each read model lives: the live collections, or a rebuild's shadow ones. */
export type CollectionNames = Record<ReadModelCollection, string>;

export const LIVE_COLLECTIONS: CollectionNames = {
  rm_users: 'rm_users', rm_sessions: 'rm_sessions', rm_inbox: 'rm_inbox', rm_conversations: 'rm_conversations', rm_chat: 'rm_chat',
};

/** How each changeable user field is stored (a fixed list: no field name reaches the database from outside). */
const USER_FIELDS: Record<keyof UserChanges, (v: unknown) => unknown> = {
  email: (v) => v,
  first_name: (v) => v,
  last_name: (v) => v,
  phone: (v) => v,
  pm_policy: (v) => v,
  phone_public: (v) => Boolean(v),
  picture: (v) => v || null,
};

/**
 * Applies read-model ops with the same meaning as the SQLite engine (see sqlite/read-models.ts):
 * inserts that ignore a row already there, a user change that only applies to an older version,
 * a revocation that keeps the first reason, an inbox trimmed to the newest `keep` per owner.
 *
 * Consecutive ops become one ordered bulk write per collection (ops on different collections are
 * independent; order within a collection is kept). Inbox trims run once per owner after the adds:
 * keeping the newest `keep` after each add, or once after all of them, leaves the same rows.
 */
export async function applyOps(db: Db, names: CollectionNames, ops: ReadModelOp[], session?: ClientSession): Promise<void> {
  const writes = new Map<ReadModelCollection, AnyBulkWriteOperation<ReadModelDoc>[]>();
  const trims = new Map<string, number>();
  const write = (collection: ReadModelCollection, op: AnyBulkWriteOperation<ReadModelDoc>) => {
    const list = writes.get(collection);
    if (list) list.push(op);
    else writes.set(collection, [op]);
  };
  const flush = async () => {
    for (const [collection, list] of writes) {
      await db.collection<ReadModelDoc>(names[collection]).bulkWrite(list, { ordered: true, session });
    }
    writes.clear();
    for (const [owner, keep] of trims) await trimInbox(db, names.rm_inbox, owner, keep, session);
    trims.clear();
  };

  for (const op of ops) {
    switch (op.kind) {
      case 'user.insert':
        write('rm_users', insertOnce({ _id: op.user.user_id }, { ...op.user }));
        break;
      case 'user.change': {
        const fields = (Object.keys(op.changes) as (keyof UserChanges)[]).filter((f) => f in USER_FIELDS);
        if (fields.length === 0) break;
        const set: Document = { updated_at: op.updated_at, version: op.version };
        for (const f of fields) set[f] = USER_FIELDS[f](op.changes[f]);
        // The version guard makes a replayed (or older) change a no-op.
        write('rm_users', { updateOne: { filter: { _id: op.user_id, version: { $lt: op.version } }, update: { $set: set } } });
        break;
      }
      case 'session.start':
        write('rm_sessions', insertOnce({ _id: op.session.session_id }, { ...op.session }));
        break;
      case 'session.refresh':
        write('rm_sessions', { updateOne: { filter: { _id: op.session_id }, update: { $set: { refresh_id: op.refresh_id, expires_at: op.expires_at } } } });
        break;
      case 'session.revoke':
        write('rm_sessions', { updateOne: { filter: { _id: op.session_id, revoked: null }, update: { $set: { revoked: op.reason } } } });
        break;
      case 'inbox.add': {
        const { position, ...rest } = op.message;
        const owner = op.message.to_id;
        // A different `keep` for the same owner must see the trims before it (never happens today).
        if (trims.has(owner) && trims.get(owner) !== op.keep) await flush();
        write('rm_inbox', insertOnce({ owner_id: owner, position }, rest));
        trims.set(owner, op.keep);
        break;
      }
      case 'conversation.add': {
        const { position, ...rest } = op.message;
        write('rm_conversations', insertOnce({ pair: pairKey(op.message.from_id, op.message.to_id), position }, rest));
        break;
      }
      case 'chat.add':
        write('rm_chat', insertOnce({ _id: op.message.position }, { ...op.message }));
        break;
    }
  }
  await flush();
}

/** Inserts the document unless one matching `key` exists (SQL's INSERT OR IGNORE / ON CONFLICT DO NOTHING). */
function insertOnce(key: Document, fields: Document): AnyBulkWriteOperation<ReadModelDoc> {
  return { updateOne: { filter: key, update: { $setOnInsert: fields }, upsert: true } };
}

/** Deletes the owner's messages older than their newest `keep`. */
async function trimInbox(db: Db, collection: string, owner: string, keep: number, session?: ClientSession): Promise<void> {
  const inbox = db.collection(collection);
  const oldestDropped = await inbox.find({ owner_id: owner }, { session, projection: { position: 1 } })
    .sort({ position: -1 }).skip(keep).limit(1).next();
  if (oldestDropped) await inbox.deleteMany({ owner_id: owner, position: { $lte: oldestDropped.position } }, { session });
}
