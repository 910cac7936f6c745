import type { EventOfType, Stored } from '../../events';
import { messageChangeOf } from '../kit/message-change';
import type { ProjectionOf } from '../kit/read-model';
import type { ChatMessageRow, ChatOp } from './types';

export function chatMessageRow(event: Stored<EventOfType<'ChatMessagePosted'>>): ChatMessageRow {
  const d = event.data;
  return {
    id: d.message_id,
    position: event.position,
    from_id: d.from_id,
    from: d.from,
    text: d.text,
    sent_at: event.time,
    edited_at: null,
    deleted: false,
  };
}

/** The general chat's history. */
export const chatProjection: ProjectionOf<ChatOp> = {
  name: 'chat',
  project(event) {
    if (event.type === 'ChatMessagePosted') return [{ kind: 'chat.add', message: chatMessageRow(event) }];
    if (event.type === 'UserErased') return [{ kind: 'chat.erase', user_id: event.data.user_id }];
    const change = messageChangeOf(event, 'chat');
    if (!change) return [];
    return [
      change.change === 'edit'
        ? { kind: 'chat.edit', id: change.id, text: change.text, edited_at: change.edited_at }
        : { kind: 'chat.delete', id: change.id },
    ];
  },
};
