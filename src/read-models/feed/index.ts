import type { ReadModel } from '../kit/read-model';
import { feedMongo } from './mongo';
import { feedProjection } from './projection';
import { feedSqlite } from './sqlite';
import { FEED, type FeedOp, type FeedQueries } from './types';

export const feedReadModel: ReadModel<FeedOp, FeedQueries> = {
  projection: feedProjection,
  tables: [FEED],
  sqlite: feedSqlite,
  mongo: feedMongo,
};
