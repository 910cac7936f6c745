import { expect } from 'chai';
import { expectError, expectStatus } from './helpers/assert';
import { registerAndLogin, uniqueName, type Client } from './helpers/http';
import { useServer } from './helpers/suite';
import { toFullWidth } from './helpers/text';

describe('REST: users', () => {
  const fixture = useServer();
  let api: Client;
  before(() => {
    api = fixture.api;
  });

  const create = (json: unknown) => api.post('/users/create', { json });
  const newUser = (overrides: Record<string, unknown> = {}) => {
    const username = uniqueName('u');
    return { username, email: `${username}@example.test`, password: 'correct horse', ...overrides };
  };

  describe('POST /users/create', () => {
    it('registers a user: 201 with exactly the public account fields', async () => {
      const input = newUser({ first_name: 'Ada', last_name: 'Lovelace', phone: '+44 20 1234' });
      const reply = await create(input);
      expectStatus(reply, 201);
      expect(reply.body).to.have.all.keys('user_id', 'username', 'email', 'first_name', 'last_name', 'phone');
      expect(reply.body).to.include({
        username: input.username,
        email: input.email,
        first_name: 'Ada',
        last_name: 'Lovelace',
        phone: '+44 20 1234',
      });
      expect(reply.body.user_id).to.be.a('string').with.length.above(8);
    });

    it('fills optional fields with null', async () => {
      const reply = await create(newUser());
      expectStatus(reply, 201);
      expect(reply.body).to.include({ first_name: null, last_name: null, phone: null });
    });

    it('409 for a taken username, in any case and as full-width look-alikes', async () => {
      const name = `taken${process.pid % 1000}`;
      expectStatus(await create(newUser({ username: name })), 201);
      for (const variant of [name, name.toUpperCase(), toFullWidth(name), toFullWidth(name.toUpperCase())]) {
        expectError(await create(newUser({ username: variant })), 409, 'username_taken');
      }
    });

    it('409 for an email taken in another case', async () => {
      const first = newUser();
      expectStatus(await create(first), 201);
      expectError(await create(newUser({ email: first.email.toUpperCase() })), 409, 'email_taken');
    });

    it('400 for an unknown field, wrong types and missing fields', async () => {
      expectError(await create({ ...newUser(), admin: true }), 400, 'invalid_request');
      expectError(await create({ ...newUser(), username: 12345 }), 400, 'invalid_request');
      expectError(await create({ ...newUser(), first_name: ['a'] }), 400, 'invalid_request');
      const { password: _password, ...noPassword } = newUser();
      expectError(await create(noPassword), 400, 'invalid_request');
      expectError(await create({}), 400, 'invalid_request');
      expectError(await create([newUser()]), 400, 'invalid_request');
    });

    it('400 for a body that is not JSON, 415 for another content type', async () => {
      expectError(
        await api.post('/users/create', { body: '{"username":', headers: { 'content-type': 'application/json' } }),
        400,
      );
      expectError(
        await api.post('/users/create', { form: { username: 'someone', email: 'a@b.cd', password: 'long enough' } }),
        415,
      );
    });

    it('422 for bad username characters, reserved names, a bad email or a short password', async () => {
      for (const username of ['bad name', 'bad/name', 'x<y>z', 'me', 'create', 'ME', 'add_picture', 'search']) {
        const reply = await create(newUser({ username }));
        expectError(reply, 422, 'validation_failed');
        expect(reply.body.error.details, username).to.have.property('username');
      }
      for (const email of ['not-an-email', 'a@b', 'two@@example.test']) {
        const reply = await create(newUser({ email }));
        expectError(reply, 422, 'validation_failed');
        expect(reply.body.error.details).to.have.property('email');
      }
      const short = await create(newUser({ password: 'short' }));
      expectError(short, 422, 'validation_failed');
      expect(short.body.error.details).to.have.property('password');
      expectError(await create(newUser({ password: 'p'.repeat(257) })), 422, 'validation_failed');
    });

    it('422 names every bad field at once, the password included', async () => {
      const reply = await create(newUser({ username: 'me', email: 'nope', password: 'short' }));
      expectError(reply, 422, 'validation_failed');
      expect(reply.body.error.details).to.have.all.keys('username', 'email', 'password');
    });

    it('stores nothing for a refused registration', async () => {
      const input = newUser({ email: 'bad' });
      expectError(await create(input), 422);
      expectError(await api.get(`/users/${input.username}`), 404, 'user_not_found');
      expectStatus(await create({ ...input, email: `${input.username}@example.test` }), 201);
    });
  });

  describe('GET /users/me', () => {
    it("returns the caller's profile and settings", async () => {
      const alice = await registerAndLogin(api);
      const me = await api.get('/users/me', { token: alice.access_token });
      expectStatus(me, 200);
      expect(me.body).to.include({
        user_id: alice.user_id,
        username: alice.username,
        email: `${alice.username}@example.test`,
        picture: null,
      });
      expect(me.body.settings).to.deep.equal({ pm_policy: 'everyone', phone_public: false });
      expect(me.body).to.have.property('created_at');
      expect(me.body).not.to.have.property('password_hash');
    });

    it('401 without a token, with a Bearer challenge', async () => {
      const reply = await api.get('/users/me');
      expectError(reply, 401, 'not_authenticated');
      expect(reply.headers.get('www-authenticate')).to.match(/^Bearer/);
    });
  });

  describe('POST /users/update', () => {
    const update = (token: string, json: unknown) => api.post('/users/update', { token, json });

    it('changes only the given profile fields and settings', async () => {
      const alice = await registerAndLogin(api);
      const reply = await update(alice.access_token, {
        first_name: 'Alice',
        phone: '555',
        settings: { phone_public: true },
      });
      expectStatus(reply, 200);
      expect(reply.body).to.include({ first_name: 'Alice', last_name: null, phone: '555' });
      expect(reply.body.settings).to.deep.equal({ pm_policy: 'everyone', phone_public: true });
      const cleared = await update(alice.access_token, { first_name: null });
      expect(cleared.body).to.include({ first_name: null, phone: '555' });
      expect((await api.get('/users/me', { token: alice.access_token })).body).to.include({
        first_name: null,
        phone: '555',
      });
    });

    it('an email change releases the old email for someone else', async () => {
      const alice = await registerAndLogin(api);
      const oldEmail = `${alice.username}@example.test`;
      expectStatus(await update(alice.access_token, { email: `new-${oldEmail}` }), 200);
      expectStatus(await create(newUser({ email: oldEmail.toUpperCase() })), 201);
    });

    it('409 for an email another user has, in any case; nothing else changes', async () => {
      const alice = await registerAndLogin(api);
      const bob = await registerAndLogin(api);
      expectError(
        await update(alice.access_token, { email: `${bob.username}@EXAMPLE.test`, first_name: 'changed' }),
        409,
        'email_taken',
      );
      expect((await api.get('/users/me', { token: alice.access_token })).body.first_name).to.equal(null);
    });

    it('400 for unknown fields and wrong types, 422 for an invalid email', async () => {
      const alice = await registerAndLogin(api);
      expectError(await update(alice.access_token, { username: 'rename' }), 400, 'invalid_request');
      expectError(await update(alice.access_token, { settings: { pm_policy: 'friends' } }), 400, 'invalid_request');
      expectError(await update(alice.access_token, { settings: { phone_public: 'yes' } }), 400, 'invalid_request');
      expectError(await update(alice.access_token, { email: 'nope' }), 422, 'validation_failed');
    });

    it('401 without a token', async () => {
      expectError(await api.post('/users/update', { json: { first_name: 'x' } }), 401);
    });

    describe('password change', () => {
      it('needs the current password: missing → 422, wrong → 401; a current password alone → 422', async () => {
        const alice = await registerAndLogin(api);
        expectError(await update(alice.access_token, { new_password: 'another horse' }), 422, 'validation_failed');
        expectError(await update(alice.access_token, { current_password: alice.password }), 422, 'validation_failed');
        expectError(
          await update(alice.access_token, { current_password: 'wrong horse', new_password: 'another horse' }),
          401,
          'invalid_credentials',
        );
        // The wrong attempt changed nothing: the old password still logs in, and the caller's token still works.
        expectStatus(
          await api.post('/auth/login', { json: { username: alice.username, password: alice.password } }),
          200,
        );
        expectStatus(await api.get('/users/me', { token: alice.access_token }), 200);
      });

      it('422 for a new password that is too short', async () => {
        const alice = await registerAndLogin(api);
        expectError(
          await update(alice.access_token, { current_password: alice.password, new_password: 'short' }),
          422,
          'validation_failed',
        );
      });

      it("switches the password and revokes the user's other sessions, keeping the caller's", async () => {
        const alice = await registerAndLogin(api);
        const other = await api.post('/auth/login', { json: { username: alice.username, password: alice.password } });
        expectStatus(other, 200);
        expectStatus(
          await update(alice.access_token, { current_password: alice.password, new_password: 'a brand new horse' }),
          200,
        );

        expectStatus(await api.get('/users/me', { token: alice.access_token }), 200);
        expectError(await api.get('/users/me', { token: other.body.access_token }), 401);
        expectError(await api.post('/auth/refresh', { json: { refresh_token: other.body.refresh_token } }), 401);
        expectStatus(await api.post('/auth/refresh', { json: { refresh_token: alice.refresh_token } }), 200);

        expectError(
          await api.post('/auth/login', { json: { username: alice.username, password: alice.password } }),
          401,
          'invalid_credentials',
        );
        expectStatus(
          await api.post('/auth/login', { json: { username: alice.username, password: 'a brand new horse' } }),
          200,
        );
      });
    });
  });

  describe('GET /users/{username}', () => {
    it('returns the public profile, matched case-insensitively; phone only when public', async () => {
      const alice = await registerAndLogin(api);
      await api.post('/users/update', { token: alice.access_token, json: { first_name: 'Alice', phone: '555-0100' } });
      const hidden = await api.get(`/users/${alice.username.toUpperCase()}`);
      expectStatus(hidden, 200);
      expect(hidden.body).to.deep.equal({
        username: alice.username,
        first_name: 'Alice',
        last_name: null,
        picture: null,
      });

      await api.post('/users/update', { token: alice.access_token, json: { settings: { phone_public: true } } });
      const shown = await api.get(`/users/${alice.username}`);
      expect(shown.body).to.include({ phone: '555-0100' });
      expect(shown.body).not.to.have.any.keys('email', 'user_id', 'settings');
    });

    it('404 JSON for an unknown user', async () => {
      expectError(await api.get('/users/nobody_here_at_all'), 404, 'user_not_found');
    });
  });

  describe('GET /users?search', () => {
    const prefix = `srch${process.pid % 1000}`;
    before(async () => {
      for (const name of [`${prefix}_b`, `${prefix.toUpperCase()}_a`, `${prefix}_c`])
        expectStatus(await create(newUser({ username: name })), 201);
      expectStatus(await create(newUser({ username: `x${prefix}` })), 201);
    });

    it('finds users by prefix, case-insensitively, sorted by username', async () => {
      const reply = await api.get(`/users?search=${prefix.toUpperCase()}`);
      expectStatus(reply, 200);
      expect(reply.body.users.map((u: { username: string }) => u.username)).to.deep.equal([
        `${prefix.toUpperCase()}_a`,
        `${prefix}_b`,
        `${prefix}_c`,
      ]);
      expect(reply.body.users[0]).to.have.all.keys('username', 'first_name', 'last_name', 'picture');
    });

    it('honours limit', async () => {
      const reply = await api.get(`/users?search=${prefix}&limit=2`);
      expect(reply.body.users).to.have.length(2);
    });

    it('returns an empty list when nothing matches', async () => {
      expect((await api.get('/users?search=zzz_no_such_prefix')).body).to.deep.equal({ users: [] });
    });

    it('400 for a missing search, limit out of bounds or not a number, or an unknown parameter', async () => {
      for (const query of [
        '',
        `search=${prefix}&limit=0`,
        `search=${prefix}&limit=101`,
        `search=${prefix}&limit=ten`,
        `search=${prefix}&sort=desc`,
      ]) {
        expectError(await api.get(`/users?${query}`), 400, 'invalid_request');
      }
    });
  });
});
