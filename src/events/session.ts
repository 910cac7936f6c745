import type { EventOf } from './envelope';

export type SessionStarted = EventOf<
  'SessionStarted',
  {
    session_id: string;
    user_id: string;
    username: string;
    /** jti of the refresh token that may be spent next. */
    refresh_id: string;
    expires_at: string;
  }
>;

export type SessionRefreshed = EventOf<
  'SessionRefreshed',
  {
    session_id: string;
    user_id: string;
    refresh_id: string;
    previous_refresh_id: string;
    expires_at: string;
  }
>;

export type RevocationReason = 'logout' | 'refresh_token_reuse' | 'password_changed' | 'account_erased';

export type SessionRevoked = EventOf<
  'SessionRevoked',
  {
    session_id: string;
    user_id: string;
    reason: RevocationReason;
  }
>;

export type SessionEvent = SessionStarted | SessionRefreshed | SessionRevoked;

export const sessionStream = (sessionId: string): string => `session-${sessionId}`;
