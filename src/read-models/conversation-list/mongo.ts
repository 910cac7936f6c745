import type { Document } from 'mongodb';
import { cursor, insertOnce, type MongoReadModel } from '../kit/mongo';
import type { PrivateMessageRow } from '../kit/private-message';
import { changeWrites } from '../kit/mongo-change';
import {
  CONVERSATION_LIST,
  CONVERSATION_RECEIVED,
  type ConversationEntry,
  type ConversationListOp,
  type ConversationListQueries,
} from './types';

interface EntryDoc extends PrivateMessageRow {
  owner_id: string;
  peer_id: string;
  peer: string;
  read_up_to: number;
  seen_up_to?: string | null;
  seen_position?: number;
}

const ENTRY: Document = { _id: 0 };

const changes = changeWrites(CONVERSATION_LIST, ['owner_id', 'peer_id']);

export const conversationListMongo: MongoReadModel<ConversationListOp, ConversationListQueries> = {
  indexes: {
    [CONVERSATION_LIST]: [
      { key: { owner_id: 1, peer_id: 1 }, name: 'owner_peer', unique: true },
      { key: { owner_id: 1, position: -1 }, name: 'owner_activity' },
    ],
    [CONVERSATION_RECEIVED]: [
      { key: { owner_id: 1, peer_id: 1, position: 1 }, name: 'owner_peer_position', unique: true },
    ],
  },
  apply: {
    'conversation-list.message': (op, w) => {
      const key = { owner_id: op.owner_id, peer_id: op.peer_id };
      // One ordered bulk write per collection: the entry exists before the guarded update runs, and
      // an older message (a replay) matches nothing.
      w.write(CONVERSATION_LIST, insertOnce(key, { position: 0, read_up_to: 0, seen_up_to: null, seen_position: 0 }));
      w.write(CONVERSATION_LIST, {
        updateOne: {
          filter: { ...key, position: { $lt: op.message.position } },
          update: { $set: { peer: op.peer, ...op.message } },
        },
      });
      if (op.received) {
        const doc = { ...key, position: op.message.position };
        w.write(CONVERSATION_RECEIVED, { updateOne: { filter: doc, update: { $set: doc }, upsert: true } });
      }
    },
    'conversation-list.read': (op, w) => {
      w.write(CONVERSATION_LIST, {
        updateOne: {
          filter: { owner_id: op.owner_id, peer_id: op.peer_id, read_up_to: { $lt: op.up_to_position } },
          update: { $set: { read_up_to: op.up_to_position } },
        },
      });
    },
    'conversation-list.seen': (op, w) => {
      w.write(CONVERSATION_LIST, {
        updateOne: {
          filter: { owner_id: op.owner_id, peer_id: op.peer_id, seen_position: { $lt: op.up_to_position } },
          update: { $set: { seen_up_to: op.up_to, seen_position: op.up_to_position } },
        },
      });
    },
    'conversation-list.edit': changes.edit,
    'conversation-list.delete': changes.delete,
    'conversation-list.erase': (op, w) => {
      w.write(CONVERSATION_LIST, { deleteMany: { filter: { owner_id: op.user_id } } });
      w.write(CONVERSATION_RECEIVED, { deleteMany: { filter: { owner_id: op.user_id } } });
      w.write(CONVERSATION_LIST, {
        updateMany: { filter: { from_id: op.user_id }, update: { $set: { from: '', text: '' } } },
      });
    },
  },
  queries(db) {
    const list = db.collection(CONVERSATION_LIST);
    const received = db.collection(CONVERSATION_RECEIVED);
    return {
      async conversationList(ownerId, { before, limit }) {
        const from = await cursor(before, (peerId) =>
          list.findOne<{ position: number }>(
            { owner_id: ownerId, peer_id: peerId },
            { projection: { _id: 0, position: 1 } },
          ),
        );
        if (from === null) return null;
        if (limit <= 0) return [];
        const docs = await list
          .find<EntryDoc>({ owner_id: ownerId, position: { $lt: from } }, { projection: ENTRY })
          .sort({ position: -1 })
          .limit(limit)
          .toArray();
        if (docs.length === 0) return [];
        // One round trip for the whole page: each branch is a range of the owner_peer_position index.
        const counts = await received
          .aggregate<{ _id: string; n: number }>([
            {
              $match: {
                owner_id: ownerId,
                $or: docs.map((d) => ({ peer_id: d.peer_id, position: { $gt: d.read_up_to } })),
              },
            },
            { $group: { _id: '$peer_id', n: { $sum: 1 } } },
          ])
          .toArray();
        const unread = new Map(counts.map((c) => [c._id, c.n]));
        return docs.map((d): ConversationEntry => {
          const { owner_id: _owner, peer_id, peer, read_up_to, seen_up_to, seen_position: _seen, ...last } = d;
          return { peer_id, peer, last, read_up_to, unread: unread.get(peer_id) ?? 0, seen_up_to: seen_up_to ?? null };
        });
      },
    };
  },
};
