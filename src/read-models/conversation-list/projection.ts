import type { ProjectionOf } from '../kit/read-model';
import { messageChangeOf } from '../kit/message-change';
import { privateMessageRow } from '../kit/private-message';
import type { ConversationListOp } from './types';

/** Each user's conversations: one entry per person, with the last message and what is unread. */
export const conversationListProjection: ProjectionOf<ConversationListOp> = {
  name: 'conversation-list',
  project(event) {
    switch (event.type) {
      case 'MessageSent': {
        const message = privateMessageRow(event);
        const op = (owner_id: string, peer_id: string, peer: string, received: boolean): ConversationListOp => ({
          kind: 'conversation-list.message',
          owner_id,
          peer_id,
          peer,
          message,
          received,
        });
        return [
          op(message.from_id, message.to_id, message.to, false),
          op(message.to_id, message.from_id, message.from, true),
        ];
      }
      case 'ConversationRead': {
        const d = event.data;
        const read: ConversationListOp = {
          kind: 'conversation-list.read',
          owner_id: d.user_id,
          peer_id: d.with_id,
          up_to_position: d.up_to_position,
        };
        if (!d.receipt) return [read];
        return [
          read,
          {
            kind: 'conversation-list.seen',
            owner_id: d.with_id,
            peer_id: d.user_id,
            up_to: d.up_to,
            up_to_position: d.up_to_position,
          },
        ];
      }
      case 'UserErased':
        return [{ kind: 'conversation-list.erase', user_id: event.data.user_id }];
      default: {
        const change = messageChangeOf(event, 'pm');
        if (!change) return [];
        // Both parties' entries, where this message is still the last one.
        return [
          [change.from_id, change.to_id!],
          [change.to_id!, change.from_id],
        ].map(([owner_id, peer_id]): ConversationListOp => {
          const key = { owner_id, peer_id, id: change.id };
          return change.change === 'edit'
            ? { kind: 'conversation-list.edit', ...key, text: change.text, edited_at: change.edited_at }
            : { kind: 'conversation-list.delete', ...key };
        });
      }
    }
  },
};
