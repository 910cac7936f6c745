import type { ProjectionOf } from '../kit/read-model';
import { audienceOf, noticesOf } from './notice';
import { EVERYONE, type FeedOp } from './types';

/**
 * Every notice a user was shown, kept per audience so a reconnecting client gets exactly what it
 * missed (resync). The same noticesOf/audienceOf as live delivery, so any notice kind added there
 * is synced too.
 */
export const feedProjection: ProjectionOf<FeedOp> = {
  name: 'feed',
  project(event) {
    if (event.type === 'UserErased') return [{ kind: 'feed.erase', user_id: event.data.user_id }];
    const ops: FeedOp[] = [];
    noticesOf(event).forEach((notice, seq) => {
      const audience = audienceOf(notice);
      const keys = audience === 'everyone' ? [EVERYONE] : [...new Set(audience)];
      for (const audienceKey of keys) {
        ops.push({ kind: 'feed.add', row: { audience: audienceKey, position: notice.position, seq, notice } });
      }
    });
    return ops;
  },
};
