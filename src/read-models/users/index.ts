import type { ReadModel } from '../kit/read-model';
import { usersMongo } from './mongo';
import { usersProjection } from './projection';
import { usersSqlite } from './sqlite';
import { USERS, type UserOp, type UsersQueries } from './types';

export const usersReadModel: ReadModel<UserOp, UsersQueries> = {
  projection: usersProjection,
  tables: [USERS],
  sqlite: usersSqlite,
  mongo: usersMongo,
};
