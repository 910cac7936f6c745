import type { Collection, Document } from 'mongodb';
import { insertOnce, type MongoReadModel } from '../kit/mongo';
import type { FeedNotice } from './notice';
import { EVERYONE, FEED, mergeRuns, type FeedOp, type FeedQueries, type FeedRow } from './types';

interface FeedDoc {
  position: number;
  seq: number;
  notice: FeedNotice;
}

const FIELDS: Document = { _id: 0, position: 1, seq: 1, notice: 1 };

async function run(feed: Collection, audience: string, after: number, upTo: number, limit: number): Promise<FeedRow[]> {
  const docs = await feed
    .find<FeedDoc>({ audience, position: { $gt: after, $lte: upTo } }, { projection: FIELDS })
    .sort({ position: 1, seq: 1 })
    .limit(limit)
    .toArray();
  return docs.map((d) => ({ audience, position: d.position, seq: d.seq, notice: d.notice }));
}

export const feedMongo: MongoReadModel<FeedOp, FeedQueries> = {
  indexes: { [FEED]: [{ key: { audience: 1, position: 1, seq: 1 }, name: 'audience_position', unique: true }] },
  apply: {
    // The notice as a document (erasure rewrites fields of it); SQLite keeps the same as JSON text.
    'feed.add': (op, w) => {
      const { audience, position, seq, notice } = op.row;
      w.write(FEED, insertOnce({ audience, position, seq }, { notice }));
    },
    'feed.erase': (op, w) => {
      w.write(FEED, { deleteMany: { filter: { audience: op.user_id } } });
      w.write(FEED, {
        updateMany: {
          filter: { 'notice.message.from_id': op.user_id, 'notice.message.text': { $exists: true } },
          update: { $set: { 'notice.message.text': '', 'notice.message.from': '' } },
        },
      });
    },
  },
  queries(db) {
    const feed = db.collection(FEED);
    return {
      async feedFor(userId, after, upTo, limit) {
        if (limit <= 0) return [];
        const [own, everyone] = await Promise.all([
          run(feed, userId, after, upTo, limit),
          run(feed, EVERYONE, after, upTo, limit),
        ]);
        return mergeRuns(own, everyone, limit);
      },
    };
  },
};
