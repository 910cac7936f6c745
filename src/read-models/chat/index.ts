import type { ReadModel } from '../kit/read-model';
import { chatMongo } from './mongo';
import { chatProjection } from './projection';
import { chatSqlite } from './sqlite';
import { CHAT, type ChatOp, type ChatQueries } from './types';

export const chatReadModel: ReadModel<ChatOp, ChatQueries> = {
  projection: chatProjection,
  tables: [CHAT],
  sqlite: chatSqlite,
  mongo: chatMongo,
};
