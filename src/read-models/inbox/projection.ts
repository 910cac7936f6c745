import type { ProjectionOf } from '../kit/read-model';
import { messageChangeOf } from '../kit/message-change';
import { privateMessageRow } from '../kit/private-message';
import { INBOX_SIZE, type InboxOp } from './types';

/** Each user's newest received private messages: what a client loads when it connects. */
export const inboxProjection: ProjectionOf<InboxOp> = {
  name: 'inbox',
  project(event) {
    if (event.type === 'MessageSent') {
      return [{ kind: 'inbox.add', message: privateMessageRow(event), keep: INBOX_SIZE }];
    }
    if (event.type === 'UserErased') return [{ kind: 'inbox.erase', user_id: event.data.user_id }];
    const change = messageChangeOf(event, 'pm');
    if (!change) return [];
    const key = { owner_id: change.to_id!, id: change.id };
    return [
      change.change === 'edit'
        ? { kind: 'inbox.edit', ...key, text: change.text, edited_at: change.edited_at }
        : { kind: 'inbox.delete', ...key },
    ];
  },
};
