import type { ChatMessagePosted, MessageSent, UserEvent } from '../events';
import { DomainError, type Decider } from './decider';
import { messageText } from './rules';
import { evolveUser, type User } from './user';

export type MessageCommand =
  | {
      type: 'SendPrivateMessage';
      message_id: string;
      from_id: string;
      from: string;
      to_id: string;
      text: string;
      ref?: string;
    }
  | { type: 'PostChatMessage'; message_id: string; from_id: string; from: string; text: string; ref?: string };

/** The message's own stream (empty unless a ref is being resent) and, for a PM, the recipient. */
export interface MessageState {
  recipient: User | null;
  existing: MessageSent['data'] | ChatMessagePosted['data'] | null;
}

type Event = MessageSent | ChatMessagePosted;

export const messageDecider: Decider<MessageCommand, MessageState, Event | UserEvent> = {
  initialState: () => ({ recipient: null, existing: null }),

  evolve(state, event) {
    switch (event.type) {
      case 'MessageSent':
      case 'ChatMessagePosted':
        return { ...state, existing: event.data };
      default:
        return { ...state, recipient: evolveUser(state.recipient, event) };
    }
  },

  decide(cmd, state) {
    // A resent ref: the message is already stored, nothing new happens.
    if (state.existing) return [];
    const { text, problem } = messageText(cmd.text);
    if (problem) return new DomainError('validation_failed', problem, { text: problem });
    const ref = cmd.ref === undefined ? {} : { ref: cmd.ref };

    if (cmd.type === 'PostChatMessage') {
      return [
        {
          type: 'ChatMessagePosted',
          data: { message_id: cmd.message_id, from_id: cmd.from_id, from: cmd.from, text, ...ref },
        },
      ];
    }
    const recipient = state.recipient;
    if (!recipient || recipient.id !== cmd.to_id) return new DomainError('recipient_not_found', 'no such recipient');
    if (recipient.id === cmd.from_id)
      return new DomainError('pm_to_self', 'you cannot send a private message to yourself');
    if (recipient.settings.pm_policy === 'nobody') {
      return new DomainError('pm_not_accepted', `${recipient.username} does not accept private messages`);
    }
    return [
      {
        type: 'MessageSent',
        data: {
          message_id: cmd.message_id,
          from_id: cmd.from_id,
          from: cmd.from,
          to_id: recipient.id,
          to: recipient.username,
          text,
          ...ref,
        },
      },
    ];
  },
};
