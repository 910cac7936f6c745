import type { EventType } from '../events';

/** A personal field: where it sits in the event's data, and what it reads as once erased. */
export interface PersonalField {
  path: readonly string[];
  /** '' for fields that are always strings, null for nullable ones. */
  erased: '' | null;
}

/** Whose data key protects an event's personal fields, and which fields those are. */
export interface PersonalData {
  owner: (data: Record<string, unknown>) => string;
  fields: readonly PersonalField[];
}

const f = (erased: '' | null, ...path: string[]): PersonalField => ({ path, erased });
const profile = (...at: string[]): PersonalField[] => [
  f('', ...at, 'email'),
  f(null, ...at, 'first_name'),
  f(null, ...at, 'last_name'),
  f(null, ...at, 'phone'),
];
const byUser = (data: Record<string, unknown>) => String(data.user_id);
const bySender = (data: Record<string, unknown>) => String(data.from_id);

/**
 * Every personal field of every event type (see docs/privacy.md for why these and not others).
 * Usernames stay readable: an erased user's name stays reserved, so that nobody can pose as them.
 * Email addresses also name the claim streams; those are keyed hashes (email-claims.ts).
 */
export const PERSONAL_FIELDS: Partial<Record<EventType, PersonalData>> = {
  UserRegistered: { owner: byUser, fields: [...profile(), f('', 'password_hash')] },
  ProfileUpdated: { owner: byUser, fields: profile('changes') },
  PasswordChanged: { owner: byUser, fields: [f('', 'password_hash')] },
  MessageSent: { owner: bySender, fields: [f('', 'text')] },
  ChatMessagePosted: { owner: bySender, fields: [f('', 'text')] },
  // An edit carries the message's new text, under the sender's key like the original.
  MessageEdited: { owner: bySender, fields: [f('', 'text')] },
};

/** A message text that reads as '' was erased: no message can be sent with an empty text. */
export const ERASED_TEXT = '';
