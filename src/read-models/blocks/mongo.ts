import { insertOnce, type MongoReadModel } from '../kit/mongo';
import { BLOCKS, type BlockOp, type BlockRow, type BlocksQueries } from './types';

/** rm_blocks documents are keyed by the pair, so a block is stored once. */
const blockId = (blockerId: string, blockedId: string): string => `${blockerId}:${blockedId}`;

export const blocksMongo: MongoReadModel<BlockOp, BlocksQueries> = {
  indexes: { [BLOCKS]: [{ key: { blocker_id: 1, position: 1 }, name: 'blocker_position' }] },
  apply: {
    'block.add': (op, w) =>
      w.write(BLOCKS, insertOnce({ _id: blockId(op.block.blocker_id, op.block.blocked_id) }, { ...op.block })),
    'block.remove': (op, w) =>
      w.write(BLOCKS, {
        deleteOne: { filter: { _id: blockId(op.blocker_id, op.blocked_id) } },
      }),
    'block.erase': (op, w) =>
      w.write(BLOCKS, {
        deleteMany: { filter: { $or: [{ blocker_id: op.user_id }, { blocked_id: op.user_id }] } },
      }),
  },
  queries(db) {
    const blocks = db.collection(BLOCKS);
    return {
      blocks: (blockerId) =>
        blocks
          .find<BlockRow>({ blocker_id: blockerId }, { projection: { _id: 0 } })
          .sort({ position: 1 })
          .toArray(),
    };
  },
};
