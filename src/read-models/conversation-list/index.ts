import type { ReadModel } from '../kit/read-model';
import { conversationListMongo } from './mongo';
import { conversationListProjection } from './projection';
import { conversationListSqlite } from './sqlite';
import {
  CONVERSATION_LIST,
  CONVERSATION_RECEIVED,
  type ConversationListOp,
  type ConversationListQueries,
} from './types';

export const conversationListReadModel: ReadModel<ConversationListOp, ConversationListQueries> = {
  projection: conversationListProjection,
  tables: [CONVERSATION_LIST, CONVERSATION_RECEIVED],
  sqlite: conversationListSqlite,
  mongo: conversationListMongo,
};
