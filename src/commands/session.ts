import type { SessionEvent, RevocationReason } from '../events';
import { DomainError, type Decider } from './decider';

export interface SessionState {
  status: 'none' | 'active' | 'revoked';
  user_id: string | null;
  refresh_id: string | null;
  expires_at: string | null;
}

export type SessionCommand =
  | {
      type: 'StartSession';
      session_id: string;
      user_id: string;
      username: string;
      refresh_id: string;
      expires_at: string;
    }
  | {
      type: 'RefreshSession';
      session_id: string;
      /** jti of the refresh token the client presented. */
      presented_refresh_id: string;
      refresh_id: string;
      expires_at: string;
      now: string;
    }
  | { type: 'RevokeSession'; session_id: string; reason: RevocationReason };

export const sessionDecider: Decider<SessionCommand, SessionState, SessionEvent> = {
  initialState: () => ({ status: 'none', user_id: null, refresh_id: null, expires_at: null }),

  evolve(state, event) {
    switch (event.type) {
      case 'SessionStarted':
        return {
          status: 'active',
          user_id: event.data.user_id,
          refresh_id: event.data.refresh_id,
          expires_at: event.data.expires_at,
        };
      case 'SessionRefreshed':
        return { ...state, refresh_id: event.data.refresh_id, expires_at: event.data.expires_at };
      case 'SessionRevoked':
        return { ...state, status: 'revoked' };
    }
  },

  decide(cmd, state) {
    switch (cmd.type) {
      case 'StartSession':
        if (state.status !== 'none') return new DomainError('session_invalid', 'session already exists');
        return [{ type: 'SessionStarted', data: { ...withoutType(cmd) } }];
      case 'RefreshSession': {
        if (state.status !== 'active' || !state.user_id)
          return new DomainError('session_invalid', 'the session has ended');
        if (state.expires_at! <= cmd.now) return new DomainError('session_invalid', 'the session has expired');
        if (cmd.presented_refresh_id !== state.refresh_id) {
          // A spent refresh token came back: someone else may hold it, so the whole session ends.
          return [
            {
              type: 'SessionRevoked',
              data: { session_id: cmd.session_id, user_id: state.user_id, reason: 'refresh_token_reuse' },
            },
          ];
        }
        return [
          {
            type: 'SessionRefreshed',
            data: {
              session_id: cmd.session_id,
              user_id: state.user_id,
              refresh_id: cmd.refresh_id,
              previous_refresh_id: cmd.presented_refresh_id,
              expires_at: cmd.expires_at,
            },
          },
        ];
      }
      case 'RevokeSession':
        if (state.status !== 'active' || !state.user_id) return [];
        return [
          { type: 'SessionRevoked', data: { session_id: cmd.session_id, user_id: state.user_id, reason: cmd.reason } },
        ];
    }
  },
};

function withoutType<T extends { type: string }>(cmd: T): Omit<T, 'type'> {
  const { type: _type, ...rest } = cmd;
  return rest;
}
