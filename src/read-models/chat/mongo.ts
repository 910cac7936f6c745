import type { Document } from 'mongodb';
import { cursor, insertOnce, type MongoReadModel } from '../kit/mongo';
import { changeWrites, withChangeDefaults } from '../kit/mongo-change';
import { CHAT, type ChatMessageRow, type ChatOp, type ChatQueries } from './types';

/** rm_chat documents have their position as _id. */
const MESSAGE: Document = { _id: 0 };
const changes = changeWrites(CHAT, []);

export const chatMongo: MongoReadModel<ChatOp, ChatQueries> = {
  indexes: { [CHAT]: [{ key: { id: 1 }, name: 'id' }] },
  apply: {
    'chat.add': (op, w) => w.write(CHAT, insertOnce({ _id: op.message.position }, { ...op.message })),
    'chat.edit': changes.edit,
    'chat.delete': changes.delete,
    'chat.erase': (op, w) =>
      w.write(CHAT, {
        updateMany: { filter: { from_id: op.user_id }, update: { $set: { from: '', text: '' } } },
      }),
  },
  queries(db) {
    const messages = db.collection(CHAT);
    return {
      async chat({ before, limit }) {
        const from = await cursor(before, (id) =>
          messages.findOne<{ position: number }>({ id }, { projection: { position: 1 } }),
        );
        if (from === null) return null;
        if (limit <= 0) return [];
        return messages
          .find<ChatMessageRow>({ _id: { $lt: from } as never }, { projection: MESSAGE })
          .sort({ _id: -1 })
          .limit(limit)
          .toArray()
          .then((rows) => rows.map(withChangeDefaults));
      },
      chatOf: (userId) =>
        messages.find<ChatMessageRow>({ from_id: userId }, { projection: MESSAGE }).sort({ _id: 1 }).toArray(),
    };
  },
};
