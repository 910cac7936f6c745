import type { ReadModel } from '../kit/read-model';
import { inboxMongo } from './mongo';
import { inboxProjection } from './projection';
import { inboxSqlite } from './sqlite';
import { INBOX, type InboxOp, type InboxQueries } from './types';

export const inboxReadModel: ReadModel<InboxOp, InboxQueries> = {
  projection: inboxProjection,
  tables: [INBOX],
  sqlite: inboxSqlite,
  mongo: inboxMongo,
};
