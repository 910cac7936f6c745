import type { RevocationReason } from '../../events';

export interface SessionRow {
  session_id: string;
  user_id: string;
  refresh_id: string;
  expires_at: string;
  started_at: string;
  revoked: RevocationReason | null;
}

export type SessionOp =
  | { kind: 'session.start'; session: SessionRow }
  | { kind: 'session.refresh'; session_id: string; refresh_id: string; expires_at: string }
  | { kind: 'session.revoke'; session_id: string; reason: RevocationReason };

export interface SessionsQueries {
  session(sessionId: string): Promise<SessionRow | null>;
  activeSessionIds(userId: string): Promise<string[]>;
}

/** The table (SQLite) and collection (MongoDB). */
export const SESSIONS = 'rm_sessions';
