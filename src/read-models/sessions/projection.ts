import type { ProjectionOf } from '../kit/read-model';
import type { SessionOp } from './types';

/** Which sessions are live: checked on every authenticated request, so revocation is immediate. */
export const sessionsProjection: ProjectionOf<SessionOp> = {
  name: 'sessions',
  project(event) {
    switch (event.type) {
      case 'SessionStarted': {
        const d = event.data;
        return [
          {
            kind: 'session.start',
            session: {
              session_id: d.session_id,
              user_id: d.user_id,
              refresh_id: d.refresh_id,
              expires_at: d.expires_at,
              started_at: event.time,
              revoked: null,
            },
          },
        ];
      }
      case 'SessionRefreshed': {
        const d = event.data;
        return [
          { kind: 'session.refresh', session_id: d.session_id, refresh_id: d.refresh_id, expires_at: d.expires_at },
        ];
      }
      case 'SessionRevoked':
        return [{ kind: 'session.revoke', session_id: event.data.session_id, reason: event.data.reason }];
      case 'UserErased':
        return [{ kind: 'session.erase', user_id: event.data.user_id }];
      default:
        return [];
    }
  },
};
