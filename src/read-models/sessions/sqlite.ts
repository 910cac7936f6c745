import type { SqliteReadModel } from '../kit/sqlite';
import { SESSIONS, type SessionOp, type SessionRow, type SessionsQueries } from './types';

export const sessionsSqlite: SqliteReadModel<SessionOp, SessionsQueries> = {
  ddl: {
    [SESSIONS]: `
CREATE TABLE $T (
  session_id TEXT PRIMARY KEY,
  user_id    TEXT NOT NULL,
  refresh_id TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  started_at TEXT NOT NULL,
  revoked    TEXT
);
CREATE INDEX $I_by_user ON $T (user_id) WHERE revoked IS NULL;`,
  },
  apply: {
    'session.start': (op, w) => {
      w.statement(
        op.kind,
        SESSIONS,
        (t) => `INSERT INTO ${t}
          (session_id, user_id, refresh_id, expires_at, started_at, revoked)
        VALUES (@session_id, @user_id, @refresh_id, @expires_at, @started_at, @revoked)
        ON CONFLICT (session_id) DO NOTHING`,
      ).run(op.session);
    },
    'session.refresh': (op, w) => {
      w.statement(op.kind, SESSIONS, (t) => `UPDATE ${t} SET refresh_id = ?, expires_at = ? WHERE session_id = ?`).run(
        op.refresh_id,
        op.expires_at,
        op.session_id,
      );
    },
    'session.revoke': (op, w) => {
      w.statement(op.kind, SESSIONS, (t) => `UPDATE ${t} SET revoked = ? WHERE session_id = ? AND revoked IS NULL`).run(
        op.reason,
        op.session_id,
      );
    },
    'session.erase': (op, w) => {
      w.statement(op.kind, SESSIONS, (t) => `DELETE FROM ${t} WHERE user_id = ?`).run(op.user_id);
    },
  },
  queries(db) {
    const byId = db.prepare('SELECT * FROM rm_sessions WHERE session_id = ?');
    const active = db.prepare('SELECT session_id FROM rm_sessions WHERE user_id = ? AND revoked IS NULL');
    const all = db.prepare('SELECT * FROM rm_sessions WHERE user_id = ? ORDER BY started_at, session_id');
    return {
      session: async (sessionId) => (byId.get(sessionId) as SessionRow | undefined) ?? null,
      activeSessionIds: async (userId) => (active.all(userId) as { session_id: string }[]).map((r) => r.session_id),
      sessionsOf: async (userId) => all.all(userId) as SessionRow[],
    };
  },
};
