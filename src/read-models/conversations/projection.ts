import type { ProjectionOf } from '../kit/read-model';
import { privateMessageRow } from '../kit/private-message';
import type { ConversationOp } from './types';

/** The whole private history between two users. */
export const conversationsProjection: ProjectionOf<ConversationOp> = {
  name: 'conversations',
  project(event) {
    if (event.type === 'MessageSent') return [{ kind: 'conversation.add', message: privateMessageRow(event) }];
    if (event.type === 'UserErased') return [{ kind: 'conversation.erase', user_id: event.data.user_id }];
    return [];
  },
};
