import { DEFAULT_SETTINGS, userDecider, type UserCommand } from '../../src/commands/user';
import { messageDecider } from '../../src/commands/message';
import { deciderSpec } from '../helpers/given';

const spec = deciderSpec(userDecider);
/** What the user decider folds and decides. */
type ParleyEvent = Parameters<typeof userDecider.evolve>[1];
const ALICE = 'u-alice';

const registered: ParleyEvent[] = [
  { type: 'UsernameClaimed', data: { key: 'alice', user_id: ALICE } },
  { type: 'EmailClaimed', data: { key: 'alice@example.test', user_id: ALICE } },
  {
    type: 'UserRegistered',
    data: {
      user_id: ALICE,
      username: 'Alice',
      username_key: 'alice',
      email: 'Alice@Example.test',
      password_hash: 'hash-1',
      first_name: 'Alice',
      last_name: 'Liddell',
      phone: '+44 1',
      settings: DEFAULT_SETTINGS,
    },
  },
];
const erased: ParleyEvent = { type: 'UserErased', data: { user_id: ALICE } };

const erase = (overrides: Partial<Extract<UserCommand, { type: 'EraseUser' }>> = {}): UserCommand => ({
  type: 'EraseUser',
  user_id: ALICE,
  verified_hash: 'hash-1',
  revoke_sessions: ['s-1', 's-2'],
  ...overrides,
});

describe('user decider: EraseUser', () => {
  it('releases the email, ends every session and records the erasure', () => {
    spec
      .given(registered)
      .when(erase())
      .then([
        { type: 'EmailReleased', data: { key: 'alice@example.test', user_id: ALICE } },
        { type: 'SessionRevoked', data: { session_id: 's-1', user_id: ALICE, reason: 'account_erased' } },
        { type: 'SessionRevoked', data: { session_id: 's-2', user_id: ALICE, reason: 'account_erased' } },
        erased,
      ]);
  });

  it('releases the current email after a change of address', () => {
    spec
      .given([
        ...registered,
        { type: 'ProfileUpdated', data: { user_id: ALICE, changes: { email: 'new@example.test' } } },
      ])
      .when(erase({ revoke_sessions: [] }))
      .then([{ type: 'EmailReleased', data: { key: 'new@example.test', user_id: ALICE } }, erased]);
  });

  it('refuses a password checked against a hash that is no longer current', () => {
    spec
      .given([...registered, { type: 'PasswordChanged', data: { user_id: ALICE, password_hash: 'hash-2' } }])
      .when(erase())
      .thenError('invalid_credentials');
  });

  it('refuses an unknown user, and a user erased already', () => {
    spec.given([]).when(erase()).thenError('user_not_found');
    spec
      .given([...registered, erased])
      .when(erase())
      .thenError('user_not_found');
  });

  it('leaves nothing to act on: an erased user is no user to any command', () => {
    spec
      .given([...registered, erased])
      .when({ type: 'UpdateProfile', user_id: ALICE, changes: { first_name: 'A' } })
      .thenError('user_not_found');
    spec
      .given([...registered, erased])
      .when({ type: 'SetPicture', user_id: ALICE, picture: null })
      .thenError('user_not_found');
  });

  it('keeps the username taken and frees the email for a new registration', () => {
    const released: ParleyEvent = { type: 'EmailReleased', data: { key: 'alice@example.test', user_id: ALICE } };
    const history = [...registered, released, erased];
    const again = {
      type: 'RegisterUser',
      user_id: 'u-2',
      password_hash: 'h',
      first_name: null,
      last_name: null,
      phone: null,
    } as const;
    spec
      .given(history)
      .when({ ...again, username: 'ALICE', email: 'other@example.test' })
      .thenError('username_taken');
    spec
      .given(history)
      .when({ ...again, username: 'Alicia', email: 'alice@example.test' })
      .then([
        { type: 'UsernameClaimed', data: { key: 'alicia', user_id: 'u-2' } },
        { type: 'EmailClaimed', data: { key: 'alice@example.test', user_id: 'u-2' } },
        {
          type: 'UserRegistered',
          data: {
            user_id: 'u-2',
            username: 'Alicia',
            username_key: 'alicia',
            email: 'alice@example.test',
            password_hash: 'h',
            first_name: null,
            last_name: null,
            phone: null,
            settings: DEFAULT_SETTINGS,
          },
        },
      ]);
  });
});

describe('message decider: a recipient who was erased', () => {
  it('refuses a private message to them', () => {
    deciderSpec(messageDecider)
      .given([registered[2], erased] as never)
      .when({
        type: 'SendPrivateMessage',
        message_id: 'm-1',
        from_id: 'u-bob',
        from: 'bob',
        to_id: ALICE,
        text: 'hello',
      })
      .thenError('recipient_not_found');
  });
});
