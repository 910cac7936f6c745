import type { Document } from 'mongodb';
import { cursor, insertOnce, type MongoReadModel } from '../kit/mongo';
import { changeWrites, withChangeDefaults } from '../kit/mongo-change';
import type { PrivateMessageRow } from '../kit/private-message';
import { CONVERSATIONS, pairKey, type ConversationOp, type ConversationsQueries } from './types';

const MESSAGE: Document = { _id: 0, pair: 0 };
const changes = changeWrites(CONVERSATIONS, ['pair']);

export const conversationsMongo: MongoReadModel<ConversationOp, ConversationsQueries> = {
  indexes: {
    [CONVERSATIONS]: [
      { key: { pair: 1, position: 1 }, name: 'pair_position', unique: true },
      { key: { id: 1 }, name: 'id' },
    ],
  },
  apply: {
    'conversation.add': (op, w) => {
      const { position, ...rest } = op.message;
      w.write(CONVERSATIONS, insertOnce({ pair: pairKey(op.message.from_id, op.message.to_id), position }, rest));
    },
    'conversation.edit': changes.edit,
    'conversation.delete': changes.delete,
    'conversation.erase': (op, w) =>
      w.write(CONVERSATIONS, {
        updateMany: { filter: { from_id: op.user_id }, update: { $set: { from: '', text: '' } } },
      }),
  },
  queries(db) {
    const conversations = db.collection(CONVERSATIONS);
    return {
      async conversation(userA, userB, { before, limit }) {
        const pair = pairKey(userA, userB);
        const from = await cursor(before, (id) =>
          conversations.findOne<{ position: number }>({ id, pair }, { projection: { position: 1 } }),
        );
        if (from === null) return null;
        if (limit <= 0) return [];
        return conversations
          .find<PrivateMessageRow>({ pair, position: { $lt: from } }, { projection: MESSAGE })
          .sort({ position: -1 })
          .limit(limit)
          .toArray()
          .then((rows) => rows.map(withChangeDefaults));
      },
      messagesOf: (userId) =>
        conversations
          .find<PrivateMessageRow>({ $or: [{ from_id: userId }, { to_id: userId }] }, { projection: MESSAGE })
          .sort({ position: 1 })
          .toArray(),
    };
  },
};
