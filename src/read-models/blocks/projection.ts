import type { ProjectionOf } from '../kit/read-model';
import type { BlockOp } from './types';

/** Each user's block list, for GET /users/blocks. (PM refusal reads the write side, not this.) */
export const blocksProjection: ProjectionOf<BlockOp> = {
  name: 'blocks',
  project(event) {
    switch (event.type) {
      case 'UserBlocked': {
        const d = event.data;
        const block = { blocker_id: d.user_id, blocked_id: d.blocked_id, blocked: d.blocked, position: event.position };
        return [{ kind: 'block.add', block }];
      }
      case 'UserUnblocked':
        return [{ kind: 'block.remove', blocker_id: event.data.user_id, blocked_id: event.data.blocked_id }];
      case 'UserErased':
        return [{ kind: 'block.erase', user_id: event.data.user_id }];
      default:
        return [];
    }
  },
};
