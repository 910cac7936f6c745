import type { ReadModel } from '../kit/read-model';
import { conversationsMongo } from './mongo';
import { conversationsProjection } from './projection';
import { conversationsSqlite } from './sqlite';
import { CONVERSATIONS, type ConversationOp, type ConversationsQueries } from './types';

export const conversationsReadModel: ReadModel<ConversationOp, ConversationsQueries> = {
  projection: conversationsProjection,
  tables: [CONVERSATIONS],
  sqlite: conversationsSqlite,
  mongo: conversationsMongo,
};
