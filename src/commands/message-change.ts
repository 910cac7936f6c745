import type { MessageDeleted, MessageEdited, MessageEvent, MessageKind, Stored } from '../events';
import { DomainError, type Decider } from './decider';
import { messageText } from './rules';

/** Edits and deletes of a stored message (PM or chat line), by its sender. */
export type MessageChangeCommand =
  | { type: 'EditMessage'; message_id: string; by_id: string; text: string }
  | { type: 'DeleteMessage'; message_id: string; by_id: string };

/** A message as its stream tells it: what an edit or delete is decided on, and what it answers with. */
export interface StoredMessage {
  kind: MessageKind;
  id: string;
  /** Log position of the original message (where it sits in the histories). */
  position: number;
  from_id: string;
  from: string;
  to_id?: string;
  to?: string;
  text: string;
  sent_at: string;
  edited_at: string | null;
  deleted: boolean;
}

export type MessageChangeState = StoredMessage | null;

/** Stored events carry their time and position; the decider specs may give bare events. */
const stamp = (event: MessageEvent) => {
  const stored = event as Partial<Stored<MessageEvent>>;
  return { time: stored.time ?? '', position: stored.position ?? 0 };
};

/**
 * Decides on the message's own stream; the use case loads both possible streams (pm-<id>, chat-<id>),
 * at most one of which exists.
 */
export const messageChangeDecider: Decider<MessageChangeCommand, MessageChangeState, MessageEvent> = {
  initialState: () => null,

  evolve(state, event) {
    const { time, position } = stamp(event);
    switch (event.type) {
      case 'MessageSent': {
        const d = event.data;
        return {
          kind: 'pm',
          id: d.message_id,
          position,
          from_id: d.from_id,
          from: d.from,
          to_id: d.to_id,
          to: d.to,
          text: d.text,
          sent_at: time,
          edited_at: null,
          deleted: false,
        };
      }
      case 'ChatMessagePosted': {
        const d = event.data;
        return {
          kind: 'chat',
          id: d.message_id,
          position,
          from_id: d.from_id,
          from: d.from,
          text: d.text,
          sent_at: time,
          edited_at: null,
          deleted: false,
        };
      }
      case 'MessageEdited':
        return state && { ...state, text: event.data.text, edited_at: time };
      case 'MessageDeleted':
        return state && { ...state, deleted: true };
      default:
        return state;
    }
  },

  decide(cmd, state) {
    // A PM is only visible to its two parties: to anyone else it does not exist (no 403 that confirms it).
    const visible = state && (state.kind === 'chat' || cmd.by_id === state.from_id || cmd.by_id === state.to_id);
    if (!state || !visible) return new DomainError('message_not_found', `there is no message '${cmd.message_id}'`);
    if (cmd.by_id !== state.from_id) {
      return new DomainError('not_message_sender', 'only the sender of a message may edit or delete it');
    }
    const parties = state.kind === 'pm' ? { to_id: state.to_id! } : {};
    if (cmd.type === 'DeleteMessage') {
      // Deleting twice is the same as deleting once.
      if (state.deleted) return [];
      const deleted: MessageDeleted = {
        type: 'MessageDeleted',
        data: { message_id: state.id, kind: state.kind, from_id: state.from_id, ...parties },
      };
      return [deleted];
    }
    if (state.deleted) return new DomainError('message_deleted', 'this message was deleted; it cannot be edited');
    const { text, problem } = messageText(cmd.text);
    if (problem) return new DomainError('validation_failed', problem, { text: problem });
    // The same text again changes nothing (a retried edit stays one edit).
    if (text === state.text) return [];
    const edited: MessageEdited = {
      type: 'MessageEdited',
      data: {
        message_id: state.id,
        kind: state.kind,
        from_id: state.from_id,
        from: state.from,
        ...(state.kind === 'pm' ? { to_id: state.to_id!, to: state.to! } : {}),
        text,
        sent_at: state.sent_at,
      },
    };
    return [edited];
  },
};
