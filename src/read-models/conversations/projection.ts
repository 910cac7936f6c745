import type { ProjectionOf } from '../kit/read-model';
import { messageChangeOf } from '../kit/message-change';
import { privateMessageRow } from '../kit/private-message';
import { pairKey, type ConversationOp } from './types';

/** The whole private history between two users. */
export const conversationsProjection: ProjectionOf<ConversationOp> = {
  name: 'conversations',
  project(event) {
    if (event.type === 'MessageSent') return [{ kind: 'conversation.add', message: privateMessageRow(event) }];
    if (event.type === 'UserErased') return [{ kind: 'conversation.erase', user_id: event.data.user_id }];
    const change = messageChangeOf(event, 'pm');
    if (!change) return [];
    const key = { pair: pairKey(change.from_id, change.to_id!), id: change.id };
    return [
      change.change === 'edit'
        ? { kind: 'conversation.edit', ...key, text: change.text, edited_at: change.edited_at }
        : { kind: 'conversation.delete', ...key },
    ];
  },
};
