import type { Document } from 'mongodb';
import { insertOnce, type MongoReadModel, type MongoWriter } from '../kit/mongo';
import { changeWrites, withChangeDefaults } from '../kit/mongo-change';
import type { PrivateMessageRow } from '../kit/private-message';
import { INBOX, type InboxOp, type InboxQueries } from './types';

const MESSAGE: Document = { _id: 0, owner_id: 0 };
const changes = changeWrites(INBOX, ['owner_id']);

export const inboxMongo: MongoReadModel<InboxOp, InboxQueries> = {
  indexes: { [INBOX]: [{ key: { owner_id: 1, position: 1 }, name: 'owner_position', unique: true }] },
  apply: {
    // Trims run once per owner after the batch's adds: keeping the newest `keep` after each add,
    // or once after all of them, leaves the same rows.
    'inbox.add': async (op, w) => {
      const { position, ...rest } = op.message;
      const owner = op.message.to_id;
      const trim = `inbox.trim:${owner}`;
      // A different `keep` for the same owner must see the trims before it (never happens today).
      const pending = w.pending(trim);
      if (pending !== undefined && pending !== op.keep) await w.flush();
      w.write(INBOX, insertOnce({ owner_id: owner, position }, rest));
      w.after(trim, op.keep, () => trimInbox(w, owner, op.keep));
    },
    // Queued behind the adds of the batch and before its trims: the same rows as on SQLite.
    'inbox.edit': changes.edit,
    'inbox.delete': changes.delete,
    'inbox.erase': (op, w) => {
      w.write(INBOX, { deleteMany: { filter: { owner_id: op.user_id } } });
      w.write(INBOX, { updateMany: { filter: { from_id: op.user_id }, update: { $set: { from: '', text: '' } } } });
    },
  },
  queries(db) {
    const inboxes = db.collection(INBOX);
    return {
      async inbox(userId, limit) {
        if (limit <= 0) return [];
        const newest = await inboxes
          .find<PrivateMessageRow>({ owner_id: userId }, { projection: MESSAGE })
          .sort({ position: -1 })
          .limit(limit)
          .toArray();
        return newest.reverse().map(withChangeDefaults);
      },
    };
  },
};

/** Deletes the owner's messages older than their newest `keep`. */
async function trimInbox(w: MongoWriter, owner: string, keep: number): Promise<void> {
  const inbox = w.db.collection(w.collection(INBOX));
  const oldestDropped = await inbox
    .find<{ position: number }>({ owner_id: owner }, { session: w.session, projection: { position: 1 } })
    .sort({ position: -1 })
    .skip(keep)
    .limit(1)
    .next();
  if (oldestDropped) {
    await inbox.deleteMany({ owner_id: owner, position: { $lte: oldestDropped.position } }, { session: w.session });
  }
}
