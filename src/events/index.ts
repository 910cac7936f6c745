import type { ClaimEvent } from './claim';
import type { ConversationEvent } from './conversation';
import { readsStream } from './conversation';
import { emailStream, usernameStream } from './claim';
import type { Stored } from './envelope';
import type { MessageEvent } from './message';
import { chatStream, messageStream, pmStream } from './message';
import type { SessionEvent } from './session';
import { sessionStream } from './session';
import type { UserEvent } from './user';
import { userStream } from './user';

export * from './envelope';
export * from './user';
export * from './claim';
export * from './session';
export * from './message';
export * from './conversation';

/** Every event parley writes. */
export type ParleyEvent = UserEvent | ClaimEvent | SessionEvent | MessageEvent | ConversationEvent;
export type EventType = ParleyEvent['type'];
export type StoredEvent = Stored<ParleyEvent>;
export type EventOfType<T extends EventType> = Extract<ParleyEvent, { type: T }>;

export const EVENT_TYPES: readonly EventType[] = [
  'UserRegistered',
  'ProfileUpdated',
  'SettingsChanged',
  'PasswordChanged',
  'PictureChanged',
  'UserBlocked',
  'UserUnblocked',
  'UserErased',
  'UsernameClaimed',
  'EmailClaimed',
  'EmailReleased',
  'SessionStarted',
  'SessionRefreshed',
  'SessionRevoked',
  'MessageSent',
  'ChatMessagePosted',
  'ConversationRead',
  'MessageEdited',
  'MessageDeleted',
];

/** The stream an event belongs to follows from the event itself. */
export function streamOf(event: ParleyEvent): string {
  switch (event.type) {
    case 'UserRegistered':
    case 'ProfileUpdated':
    case 'SettingsChanged':
    case 'PasswordChanged':
    case 'PictureChanged':
    case 'UserBlocked':
    case 'UserUnblocked':
    case 'UserErased':
      return userStream(event.data.user_id);
    case 'UsernameClaimed':
      return usernameStream(event.data.key);
    case 'EmailClaimed':
    case 'EmailReleased':
      return emailStream(event.data.key);
    case 'SessionStarted':
    case 'SessionRefreshed':
    case 'SessionRevoked':
      return sessionStream(event.data.session_id);
    case 'MessageSent':
      return pmStream(event.data.message_id);
    case 'ChatMessagePosted':
      return chatStream(event.data.message_id);
    case 'ConversationRead':
      return readsStream(event.data.user_id, event.data.with_id);
    case 'MessageEdited':
    case 'MessageDeleted':
      return messageStream(event.data.kind, event.data.message_id);
  }
}
