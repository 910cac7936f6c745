import type { ReadModel } from '../kit/read-model';
import { sessionsMongo } from './mongo';
import { sessionsProjection } from './projection';
import { sessionsSqlite } from './sqlite';
import { SESSIONS, type SessionOp, type SessionsQueries } from './types';

export const sessionsReadModel: ReadModel<SessionOp, SessionsQueries> = {
  projection: sessionsProjection,
  tables: [SESSIONS],
  sqlite: sessionsSqlite,
  mongo: sessionsMongo,
};
