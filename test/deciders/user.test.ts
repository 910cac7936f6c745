import { expect } from 'chai';
import { DEFAULT_SETTINGS, userDecider, type UserCommand } from '../../src/commands/user';
import type { ParleyEvent, PictureRef } from '../../src/events';
import { deciderSpec } from '../helpers/given';

const spec = deciderSpec(userDecider);

const ALICE = 'user-alice';
const BOB = 'user-bob';

const register = (
  overrides: Partial<Extract<UserCommand, { type: 'RegisterUser' }>> = {},
): Extract<UserCommand, { type: 'RegisterUser' }> => ({
  type: 'RegisterUser',
  user_id: ALICE,
  username: 'Alice',
  email: 'alice@example.test',
  password_hash: 'hash-1',
  first_name: 'Alice',
  last_name: null,
  phone: null,
  ...overrides,
});

/** The events a successful registration of `register()` produces. */
const registered = (userId = ALICE, username = 'Alice', email = 'alice@example.test'): ParleyEvent[] => [
  { type: 'UsernameClaimed', data: { key: username.toLowerCase(), user_id: userId } },
  { type: 'EmailClaimed', data: { key: email.toLowerCase(), user_id: userId } },
  {
    type: 'UserRegistered',
    data: {
      user_id: userId,
      username,
      username_key: username.toLowerCase(),
      email,
      password_hash: 'hash-1',
      first_name: userId === ALICE ? 'Alice' : null,
      last_name: null,
      phone: null,
      settings: DEFAULT_SETTINGS,
    },
  },
];

/** What a registration loads: only the claim streams of the username and email (the user is new). */
const claims = (userId = ALICE, username = 'Alice', email = 'alice@example.test'): ParleyEvent[] =>
  registered(userId, username, email).filter((e) => e.type !== 'UserRegistered');

const picture: PictureRef = { id: 'a'.repeat(64), content_type: 'image/png', size: 68 };

describe('user decider', () => {
  describe('RegisterUser', () => {
    it('claims the username and email, then registers with default settings', () => {
      spec.given([]).when(register()).then(registered());
    });

    it('stores the NFKC form of a full-width username and claims its case-folded key', () => {
      const result = spec.given([]).when(register({ username: 'Ａｌｉｃｅ' })).result as ParleyEvent[];
      expect(result[0]).to.deep.equal({ type: 'UsernameClaimed', data: { key: 'alice', user_id: ALICE } });
      expect(result[2].data).to.include({ username: 'Alice' });
    });

    it('claims the email case-insensitively but keeps it as written, trimmed', () => {
      const result = spec.given([]).when(register({ email: 'Alice@Example.TEST' })).result as ParleyEvent[];
      expect(result[1]).to.deep.equal({ type: 'EmailClaimed', data: { key: 'alice@example.test', user_id: ALICE } });
      expect(result[2].data).to.include({ email: 'Alice@Example.TEST' });
    });

    it('refuses a username someone claimed', () => {
      spec
        .given(claims())
        .when(register({ user_id: BOB, email: 'bob@example.test' }))
        .thenError('username_taken');
    });

    it('refuses an email someone claimed', () => {
      spec
        .given(claims().filter((e) => e.type === 'EmailClaimed'))
        .when(register({ user_id: BOB, username: 'bob' }))
        .thenError('email_taken');
    });

    it('accepts an email its owner released', () => {
      const history: ParleyEvent[] = [
        ...claims().filter((e) => e.type === 'EmailClaimed'),
        { type: 'EmailReleased', data: { key: 'alice@example.test', user_id: ALICE } },
      ];
      const result = spec.given(history).when(register({ user_id: BOB, username: 'bob' })).result;
      expect(result).to.be.an('array').with.length(3);
    });

    for (const [username, why] of [
      ['ab', 'too short'],
      ['a'.repeat(33), 'too long'],
      ['bad name', 'a space'],
      ['bad/name', 'a slash'],
      ['me', 'reserved'],
      ['CREATE', 'reserved, any case'],
      ['ｍｅ', 'reserved after NFKC'],
      ['add_picture', 'reserved'],
    ]) {
      it(`refuses the username '${username}' (${why})`, () => {
        const error = spec.given([]).when(register({ username })).thenError('validation_failed');
        expect(error.details).to.have.property('username');
      });
    }

    it('accepts letters of other scripts, digits, dot, dash and underscore', () => {
      expect(spec.given([]).when(register({ username: 'Zoë_π.3-x' })).result).to.be.an('array');
    });

    for (const email of ['no-at-sign', 'a@b', 'a b@example.test', 'a@@example.test', `${'a'.repeat(250)}@x.io`]) {
      it(`refuses the email '${email.slice(0, 20)}'`, () => {
        const error = spec.given([]).when(register({ email })).thenError('validation_failed');
        expect(error.details).to.have.property('email');
      });
    }

    it('refuses over-long names and control characters in them', () => {
      expect(
        spec
          .given([])
          .when(register({ first_name: 'x'.repeat(101) }))
          .thenError('validation_failed').details,
      ).to.have.property('first_name');
      expect(
        spec
          .given([])
          .when(register({ phone: '123\n456' }))
          .thenError('validation_failed').details,
      ).to.have.property('phone');
    });
  });

  describe('UpdateProfile', () => {
    it('records only the fields that change', () => {
      spec
        .given(registered())
        .when({ type: 'UpdateProfile', user_id: ALICE, changes: { first_name: 'Alice', last_name: 'Liddell' } })
        .then([{ type: 'ProfileUpdated', data: { user_id: ALICE, changes: { last_name: 'Liddell' } } }]);
    });

    it('changes nothing when nothing differs', () => {
      spec
        .given(registered())
        .when({ type: 'UpdateProfile', user_id: ALICE, changes: { first_name: 'Alice' } })
        .thenNothing();
    });

    it('releases the old email and claims the new one', () => {
      spec
        .given(registered())
        .when({ type: 'UpdateProfile', user_id: ALICE, changes: { email: 'new@example.test' } })
        .then([
          { type: 'EmailReleased', data: { key: 'alice@example.test', user_id: ALICE } },
          { type: 'EmailClaimed', data: { key: 'new@example.test', user_id: ALICE } },
          { type: 'ProfileUpdated', data: { user_id: ALICE, changes: { email: 'new@example.test' } } },
        ]);
    });

    it('changes the spelling of the same email without touching the claim', () => {
      spec
        .given(registered())
        .when({ type: 'UpdateProfile', user_id: ALICE, changes: { email: 'ALICE@example.test' } })
        .then([{ type: 'ProfileUpdated', data: { user_id: ALICE, changes: { email: 'ALICE@example.test' } } }]);
    });

    it('refuses an email another user claimed', () => {
      // Alice's own stream plus the claim stream of the email she asks for.
      spec
        .given([...registered(), ...claims(BOB, 'bob', 'bob@example.test').filter((e) => e.type === 'EmailClaimed')])
        .when({ type: 'UpdateProfile', user_id: ALICE, changes: { email: 'BOB@example.test' } })
        .thenError('email_taken');
    });

    it('refuses an invalid email', () => {
      spec
        .given(registered())
        .when({ type: 'UpdateProfile', user_id: ALICE, changes: { email: 'nope' } })
        .thenError('validation_failed');
    });

    it('refuses a user that does not exist', () => {
      spec
        .given([])
        .when({ type: 'UpdateProfile', user_id: ALICE, changes: { first_name: 'x' } })
        .thenError('user_not_found');
    });
  });

  describe('ChangeSettings', () => {
    it('records changed settings only', () => {
      spec
        .given(registered())
        .when({ type: 'ChangeSettings', user_id: ALICE, changes: { pm_policy: 'nobody', phone_public: false } })
        .then([{ type: 'SettingsChanged', data: { user_id: ALICE, changes: { pm_policy: 'nobody' } } }]);
    });

    it('changes nothing when the settings are already so', () => {
      spec
        .given(registered())
        .when({ type: 'ChangeSettings', user_id: ALICE, changes: { pm_policy: 'everyone' } })
        .thenNothing();
    });
  });

  describe('ChangePassword', () => {
    it('stores the new hash and revokes the listed sessions', () => {
      spec
        .given(registered())
        .when({
          type: 'ChangePassword',
          user_id: ALICE,
          verified_hash: 'hash-1',
          password_hash: 'hash-2',
          revoke_sessions: ['s1', 's2'],
        })
        .then([
          { type: 'PasswordChanged', data: { user_id: ALICE, password_hash: 'hash-2' } },
          { type: 'SessionRevoked', data: { session_id: 's1', user_id: ALICE, reason: 'password_changed' } },
          { type: 'SessionRevoked', data: { session_id: 's2', user_id: ALICE, reason: 'password_changed' } },
        ]);
    });

    it('refuses when the verified hash is no longer current (a concurrent change won)', () => {
      const history: ParleyEvent[] = [
        ...registered(),
        { type: 'PasswordChanged', data: { user_id: ALICE, password_hash: 'hash-2' } },
      ];
      spec
        .given(history)
        .when({
          type: 'ChangePassword',
          user_id: ALICE,
          verified_hash: 'hash-1',
          password_hash: 'hash-3',
          revoke_sessions: [],
        })
        .thenError('invalid_credentials');
    });
  });

  describe('SetPicture', () => {
    it('records a new picture', () => {
      spec
        .given(registered())
        .when({ type: 'SetPicture', user_id: ALICE, picture })
        .then([{ type: 'PictureChanged', data: { user_id: ALICE, picture } }]);
    });

    it('changes nothing when the same picture is set again', () => {
      spec
        .given([...registered(), { type: 'PictureChanged', data: { user_id: ALICE, picture } }])
        .when({ type: 'SetPicture', user_id: ALICE, picture })
        .thenNothing();
    });

    it('refuses a user that does not exist', () => {
      spec.given([]).when({ type: 'SetPicture', user_id: ALICE, picture }).thenError('user_not_found');
    });
  });
});
