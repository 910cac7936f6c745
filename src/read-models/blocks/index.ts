import type { ReadModel } from '../kit/read-model';
import { blocksMongo } from './mongo';
import { blocksProjection } from './projection';
import { blocksSqlite } from './sqlite';
import { BLOCKS, type BlockOp, type BlocksQueries } from './types';

export const blocksReadModel: ReadModel<BlockOp, BlocksQueries> = {
  projection: blocksProjection,
  tables: [BLOCKS],
  sqlite: blocksSqlite,
  mongo: blocksMongo,
};
