import { sessionDecider, type SessionCommand } from '../../src/commands/session';
import type { SessionEvent } from '../../src/events';
import { deciderSpec } from '../helpers/given';

const spec = deciderSpec(sessionDecider);

const S = 'session-1';
const U = 'user-1';
const LATER = '2030-01-01T00:00:00.000Z';
const NOW = '2026-01-01T00:00:00.000Z';

const start: SessionCommand = {
  type: 'StartSession',
  session_id: S,
  user_id: U,
  username: 'alice',
  refresh_id: 'r1',
  expires_at: LATER,
};
const started: SessionEvent = {
  type: 'SessionStarted',
  data: { session_id: S, user_id: U, username: 'alice', refresh_id: 'r1', expires_at: LATER },
};
const refresh = (presented: string, now = NOW): SessionCommand => ({
  type: 'RefreshSession',
  session_id: S,
  presented_refresh_id: presented,
  refresh_id: 'r2',
  expires_at: LATER,
  now,
});
const refreshed: SessionEvent = {
  type: 'SessionRefreshed',
  data: { session_id: S, user_id: U, refresh_id: 'r2', previous_refresh_id: 'r1', expires_at: LATER },
};
const revoked = (reason: 'logout' | 'refresh_token_reuse' | 'password_changed'): SessionEvent => ({
  type: 'SessionRevoked',
  data: { session_id: S, user_id: U, reason },
});

describe('session decider', () => {
  describe('StartSession', () => {
    it('starts a new session', () => {
      spec.given([]).when(start).then([started]);
    });

    it('refuses to start a session id twice', () => {
      spec.given([started]).when(start).thenError('session_invalid');
    });
  });

  describe('RefreshSession', () => {
    it('rotates the refresh token the session expects', () => {
      spec.given([started]).when(refresh('r1')).then([refreshed]);
    });

    it('revokes the whole session when a spent refresh token comes back', () => {
      spec
        .given([started, refreshed])
        .when(refresh('r1'))
        .then([revoked('refresh_token_reuse')]);
    });

    it('revokes on an unknown refresh id too', () => {
      spec
        .given([started])
        .when(refresh('forged'))
        .then([revoked('refresh_token_reuse')]);
    });

    it('refuses a revoked session', () => {
      spec
        .given([started, revoked('logout')])
        .when(refresh('r1'))
        .thenError('session_invalid');
    });

    it('refuses a session that does not exist', () => {
      spec.given([]).when(refresh('r1')).thenError('session_invalid');
    });

    it('refuses an expired session', () => {
      spec.given([started]).when(refresh('r1', '2031-01-01T00:00:00.000Z')).thenError('session_invalid');
    });
  });

  describe('RevokeSession', () => {
    it('revokes an active session with its reason', () => {
      spec
        .given([started])
        .when({ type: 'RevokeSession', session_id: S, reason: 'logout' })
        .then([revoked('logout')]);
    });

    it('changes nothing on a session already revoked', () => {
      spec
        .given([started, revoked('logout')])
        .when({ type: 'RevokeSession', session_id: S, reason: 'logout' })
        .thenNothing();
    });

    it('changes nothing on a session that does not exist', () => {
      spec.given([]).when({ type: 'RevokeSession', session_id: S, reason: 'logout' }).thenNothing();
    });
  });
});
