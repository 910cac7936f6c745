import type { Document } from 'mongodb';
import { insertOnce, type MongoReadModel } from '../kit/mongo';
import { SESSIONS, type SessionOp, type SessionRow, type SessionsQueries } from './types';

const SESSION: Document = { _id: 0 };

export const sessionsMongo: MongoReadModel<SessionOp, SessionsQueries> = {
  indexes: { [SESSIONS]: [{ key: { user_id: 1 }, name: 'user_id' }] },
  apply: {
    'session.start': (op, w) => w.write(SESSIONS, insertOnce({ _id: op.session.session_id }, { ...op.session })),
    'session.refresh': (op, w) =>
      w.write(SESSIONS, {
        updateOne: {
          filter: { _id: op.session_id },
          update: { $set: { refresh_id: op.refresh_id, expires_at: op.expires_at } },
        },
      }),
    'session.revoke': (op, w) =>
      w.write(SESSIONS, {
        updateOne: { filter: { _id: op.session_id, revoked: null }, update: { $set: { revoked: op.reason } } },
      }),
    'session.erase': (op, w) => w.write(SESSIONS, { deleteMany: { filter: { user_id: op.user_id } } }),
  },
  queries(db) {
    const sessions = db.collection(SESSIONS);
    return {
      session: (sessionId) => sessions.findOne<SessionRow>({ _id: sessionId as never }, { projection: SESSION }),
      async activeSessionIds(userId) {
        const rows = await sessions
          .find<{ session_id: string }>({ user_id: userId, revoked: null }, { projection: { _id: 0, session_id: 1 } })
          .toArray();
        return rows.map((r) => r.session_id);
      },
      sessionsOf: (userId) =>
        sessions
          .find<SessionRow>({ user_id: userId }, { projection: SESSION })
          .sort({ started_at: 1, session_id: 1 })
          .toArray(),
    };
  },
};
