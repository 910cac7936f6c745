import type { ConversationRead, MessageSent, Stored, UserEvent } from '../events';
import { DomainError, type Decider } from './decider';
import { evolveUser, readReceiptsOn, type User } from './user';

export type ConversationCommand = {
  type: 'MarkConversationRead';
  user_id: string;
  username: string;
  with_id: string;
  /** Id of the newest message read. */
  up_to: string;
};

/**
 * Decided on three streams: the reader's marker for this conversation (reads-<user>-<with>), the
 * message named (pm-<up_to>) and the reader (for the read_receipts setting).
 */
export interface ConversationState {
  /** Log position the marker is at (0: nothing read yet). */
  marker: number;
  message: { from_id: string; from: string; to_id: string; to: string; position: number } | null;
  reader: User | null;
}

type Event = ConversationRead | MessageSent | UserEvent;

/**
 * The command handler folds the events as stored (src/app/execute.ts), so a MessageSent carries its
 * log position: the only order two messages of a conversation have.
 */
const positionOf = (event: MessageSent): number => (event as Partial<Stored<MessageSent>>).position ?? 0;

const inConversation = (m: NonNullable<ConversationState['message']>, a: string, b: string): boolean =>
  (m.from_id === a && m.to_id === b) || (m.from_id === b && m.to_id === a);

export const conversationDecider: Decider<ConversationCommand, ConversationState, Event> = {
  initialState: () => ({ marker: 0, message: null, reader: null }),

  evolve(state, event) {
    switch (event.type) {
      case 'ConversationRead':
        return { ...state, marker: Math.max(state.marker, event.data.up_to_position) };
      case 'MessageSent': {
        const { from_id, from, to_id, to } = event.data;
        return { ...state, message: { from_id, from, to_id, to, position: positionOf(event) } };
      }
      case 'UserRegistered':
      case 'ProfileUpdated':
      case 'SettingsChanged':
      case 'PasswordChanged':
      case 'PictureChanged':
        return { ...state, reader: evolveUser(state.reader, event) };
      default:
        // Other events these streams may hold (an edit of the message, say) do not bear on reading.
        return state;
    }
  },

  decide(cmd, state) {
    const { message, reader } = state;
    if (!reader || reader.id !== cmd.user_id) return new DomainError('user_not_found', 'no such user');
    // A message of another conversation is answered like an unknown one: its existence is not ours to reveal.
    if (!message || !inConversation(message, cmd.user_id, cmd.with_id)) {
      return new DomainError('message_not_found', `no message '${cmd.up_to}' in this conversation`);
    }
    // A marker never moves backwards: reading an older message again changes nothing.
    if (message.position <= state.marker) return [];
    return [
      {
        type: 'ConversationRead',
        data: {
          user_id: cmd.user_id,
          username: cmd.username,
          with_id: cmd.with_id,
          // Usernames are claimed for good: the message's spelling is the one to show.
          with: message.from_id === cmd.with_id ? message.from : message.to,
          up_to: cmd.up_to,
          up_to_position: message.position,
          receipt: readReceiptsOn(reader.settings),
        },
      },
    ];
  },
};
