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
  | { kind: 'session.revoke'; session_id: string; reason: RevocationReason }
  /** The user erased: every session row of theirs goes (each was revoked just before). */
  | { kind: 'session.erase'; user_id: string };

export interface SessionsQueries {
  session(sessionId: string): Promise<SessionRow | null>;
  activeSessionIds(userId: string): Promise<string[]>;
  /** Every session of the user, oldest first (for the data export). */
  sessionsOf(userId: string): Promise<SessionRow[]>;
}

/** The table (SQLite) and collection (MongoDB). */
export const SESSIONS = 'rm_sessions';
