import { conversationDecider, type ConversationCommand } from '../../src/commands/conversation';
import { DEFAULT_SETTINGS } from '../../src/commands/user';
import type { ConversationRead, MessageSent, ParleyEvent, UserRegistered } from '../../src/events';
import { deciderSpec } from '../helpers/given';

const spec = deciderSpec(conversationDecider);

const ALICE = 'user-alice';
const BOB = 'user-bob';
const CAROL = 'user-carol';

const registered = (settings = DEFAULT_SETTINGS): UserRegistered => ({
  type: 'UserRegistered',
  data: {
    user_id: ALICE,
    username: 'alice',
    username_key: 'alice',
    email: 'alice@example.test',
    password_hash: 'h',
    first_name: null,
    last_name: null,
    phone: null,
    settings,
  },
});
/** A message as the command handler folds it: stored, with its log position. */
const stored = (position: number, from: [string, string], to: [string, string], id = 'm1'): ParleyEvent =>
  ({
    type: 'MessageSent',
    position,
    data: { message_id: id, from_id: from[0], from: from[1], to_id: to[0], to: to[1], text: 'hi' },
  }) as MessageSent;
const alice: [string, string] = [ALICE, 'alice'];
const bob: [string, string] = [BOB, 'Bob'];
const carol: [string, string] = [CAROL, 'carol'];

const read = (overrides: Partial<ConversationCommand> = {}): ConversationCommand => ({
  type: 'MarkConversationRead',
  user_id: ALICE,
  username: 'alice',
  with_id: BOB,
  up_to: 'm1',
  ...overrides,
});
const wasRead = (position: number, receipt = true): ConversationRead => ({
  type: 'ConversationRead',
  data: {
    user_id: ALICE,
    username: 'alice',
    with_id: BOB,
    with: 'Bob',
    up_to: 'm1',
    up_to_position: position,
    receipt,
  },
});

describe('conversation decider: MarkConversationRead', () => {
  it('marks the conversation read up to a message received from that person, with their username as stored', () => {
    spec
      .given([registered(), stored(7, bob, alice)])
      .when(read())
      .then([wasRead(7)]);
  });

  it('takes a message the reader sent in the conversation too', () => {
    spec
      .given([registered(), stored(9, alice, bob)])
      .when(read())
      .then([wasRead(9)]);
  });

  it('moves the marker forward past an earlier read', () => {
    spec
      .given([registered(), wasRead(3), stored(7, bob, alice)])
      .when(read())
      .then([wasRead(7)]);
  });

  it('never moves it backwards: the same or an older message changes nothing', () => {
    spec
      .given([registered(), wasRead(7), stored(7, bob, alice)])
      .when(read())
      .thenNothing();
    spec
      .given([registered(), wasRead(12), stored(7, bob, alice)])
      .when(read())
      .thenNothing();
  });

  it('carries receipt: false when the reader turned read receipts off', () => {
    const off: ParleyEvent = { type: 'SettingsChanged', data: { user_id: ALICE, changes: { read_receipts: false } } };
    spec
      .given([registered(), off, stored(7, bob, alice)])
      .when(read())
      .then([wasRead(7, false)]);
  });

  it('reads a registration from before the setting existed as receipts on', () => {
    const older = { pm_policy: DEFAULT_SETTINGS.pm_policy, phone_public: DEFAULT_SETTINGS.phone_public };
    spec
      .given([registered(older), stored(7, bob, alice)])
      .when(read())
      .then([wasRead(7, true)]);
  });

  it('ignores other events of the streams it reads', () => {
    const other = { type: 'SomethingElse', data: {} } as unknown as ParleyEvent;
    spec
      .given([registered(), other, stored(7, bob, alice), other])
      .when(read())
      .then([wasRead(7)]);
  });

  it('refuses an unknown message', () => {
    spec.given([registered()]).when(read()).thenError('message_not_found');
  });

  it('refuses a message of another conversation, whoever sent it', () => {
    spec
      .given([registered(), stored(7, bob, carol)])
      .when(read())
      .thenError('message_not_found');
    spec
      .given([registered(), stored(7, carol, alice)])
      .when(read())
      .thenError('message_not_found');
    spec
      .given([registered(), stored(7, alice, carol)])
      .when(read())
      .thenError('message_not_found');
  });

  it('refuses a reader who is not registered', () => {
    spec
      .given([stored(7, bob, alice)])
      .when(read())
      .thenError('user_not_found');
  });
});
