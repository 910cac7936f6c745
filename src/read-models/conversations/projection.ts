import type { ProjectionOf } from '../kit/read-model';
import { privateMessageRow } from '../kit/private-message';
import type { ConversationOp } from './types';

/** The whole private history between two users. */
export const conversationsProjection: ProjectionOf<ConversationOp> = {
  name: 'conversations',
  project: (event) =>
    event.type === 'MessageSent' ? [{ kind: 'conversation.add', message: privateMessageRow(event) }] : [],
};
