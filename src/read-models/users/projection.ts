import type { ProjectionOf } from '../kit/read-model';
import type { UserChanges, UserOp } from './types';

/** Profiles and settings by user id and username: for /users/me, /users/{username} and search. */
export const usersProjection: ProjectionOf<UserOp> = {
  name: 'users',
  project(event) {
    const change = (user_id: string, changes: UserChanges): UserOp[] => [
      {
        kind: 'user.change',
        user_id,
        version: event.version,
        updated_at: event.time,
        changes,
      },
    ];
    switch (event.type) {
      case 'UserRegistered': {
        const d = event.data;
        return [
          {
            kind: 'user.insert',
            user: {
              user_id: d.user_id,
              username: d.username,
              username_key: d.username_key,
              email: d.email,
              first_name: d.first_name,
              last_name: d.last_name,
              phone: d.phone,
              pm_policy: d.settings.pm_policy,
              phone_public: d.settings.phone_public,
              read_receipts: d.settings.read_receipts ?? true,
              picture: null,
              created_at: event.time,
              updated_at: event.time,
              version: event.version,
            },
          },
        ];
      }
      case 'ProfileUpdated':
      case 'SettingsChanged':
        return change(event.data.user_id, event.data.changes);
      case 'PictureChanged':
        return change(event.data.user_id, { picture: event.data.picture });
      case 'UserErased':
        return [{ kind: 'user.erase', user_id: event.data.user_id }];
      default:
        return [];
    }
  },
};
