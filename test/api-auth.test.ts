import { generateKeyPairSync } from 'node:crypto';
import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import { expectError, expectStatus } from './helpers/assert';
import { registerAndLogin, type Client, type TestUser } from './helpers/http';
import { TEST_SECRET } from './helpers/server';
import { useServer } from './helpers/suite';

/** Base64url JSON, for hand-made JWT parts. */
const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('REST: auth', () => {
  const fixture = useServer();
  let api: Client;
  before(() => {
    api = fixture.api;
  });

  const login = (username: string, password: string) => api.post('/auth/login', { json: { username, password } });
  const refresh = (refresh_token: string) => api.post('/auth/refresh', { json: { refresh_token } });
  const me = (token: string) => api.get('/users/me', { token });

  describe('POST /auth/login', () => {
    let alice: TestUser;
    before(async () => {
      alice = await registerAndLogin(api);
    });

    it('takes JSON and answers a bearer token pair', async () => {
      const reply = await login(alice.username, alice.password);
      expectStatus(reply, 200);
      expect(reply.body).to.have.all.keys('access_token', 'refresh_token', 'token_type', 'expires_in');
      expect(reply.body).to.include({ token_type: 'bearer', expires_in: 15 * 60 });
      expectStatus(await me(reply.body.access_token), 200);
    });

    it('takes the OAuth2 password form, grant_type and scope included', async () => {
      const reply = await api.post('/auth/login', {
        form: { grant_type: 'password', username: alice.username, password: alice.password, scope: '' },
      });
      expectStatus(reply, 200);
      expect((await me(reply.body.access_token)).body.username).to.equal(alice.username);
    });

    it('matches the username case-insensitively', async () => {
      expectStatus(await login(alice.username.toUpperCase(), alice.password), 200);
    });

    it('answers a wrong password and an unknown user with the same 401 body', async () => {
      const wrong = await login(alice.username, 'not the password');
      const unknown = await login('no_such_user_here', 'not the password');
      expectError(wrong, 401, 'invalid_credentials');
      expect(unknown.status).to.equal(401);
      expect(unknown.body).to.deep.equal(wrong.body);
    });

    it('400 for missing fields, unknown fields or a wrong grant_type', async () => {
      expectError(await api.post('/auth/login', { json: { username: alice.username } }), 400, 'invalid_request');
      expectError(
        await api.post('/auth/login', { json: { username: alice.username, password: alice.password, extra: 1 } }),
        400,
        'invalid_request',
      );
      expectError(
        await api.post('/auth/login', {
          form: { grant_type: 'client_credentials', username: alice.username, password: alice.password },
        }),
        400,
        'invalid_request',
      );
    });
  });

  describe('POST /auth/refresh', () => {
    it('rotates: the new pair works; the old refresh token again → 401 and the whole session ends', async () => {
      const alice = await registerAndLogin(api);
      const first = await refresh(alice.refresh_token);
      expectStatus(first, 200);
      expectStatus(await me(first.body.access_token), 200);
      const second = await refresh(first.body.refresh_token);
      expectStatus(second, 200);
      expectStatus(await me(second.body.access_token), 200);

      // The spent token comes back (a thief, or a replay): the session is revoked.
      expectError(await refresh(alice.refresh_token), 401, 'refresh_token_reused');
      expectError(await me(second.body.access_token), 401);
      expectError(await me(alice.access_token), 401);
      expectError(await refresh(second.body.refresh_token), 401);
    });

    it("leaves the user's other sessions alone when one is revoked for reuse", async () => {
      const alice = await registerAndLogin(api);
      const other = await login(alice.username, alice.password);
      expectStatus(await refresh(alice.refresh_token), 200);
      expectError(await refresh(alice.refresh_token), 401);
      expectStatus(await me(other.body.access_token), 200);
    });

    it('400 without a refresh token', async () => {
      expectError(await api.post('/auth/refresh', { json: {} }), 400, 'invalid_request');
    });
  });

  describe('POST /auth/logout', () => {
    it("204, then the session's access and refresh tokens stop working", async () => {
      const alice = await registerAndLogin(api);
      const other = await login(alice.username, alice.password);
      const reply = await api.post('/auth/logout', { token: alice.access_token });
      expect(reply.status).to.equal(204);
      expectError(await me(alice.access_token), 401);
      expectError(await refresh(alice.refresh_token), 401);
      expectError(await api.post('/auth/logout', { token: alice.access_token }), 401);
      // Only that session: the other one still works.
      expectStatus(await me(other.body.access_token), 200);
    });

    it('401 without a token', async () => {
      expectError(await api.post('/auth/logout'), 401, 'not_authenticated');
    });
  });

  describe('tokens that must not be accepted', () => {
    let alice: TestUser;
    let claims: jwt.JwtPayload;
    before(async () => {
      alice = await registerAndLogin(api);
      claims = jwt.decode(alice.access_token) as jwt.JwtPayload;
    });

    it('a refresh token as a bearer token', async () => {
      expectError(await me(alice.refresh_token), 401);
    });

    it('an access token at /auth/refresh', async () => {
      expectError(await refresh(alice.access_token), 401);
      // …and the session was not harmed by the attempt.
      expectStatus(await me(alice.access_token), 200);
    });

    it('a tampered token (claims changed, signature kept)', async () => {
      const [header, , signature] = alice.access_token.split('.');
      const forged = `${header}.${part({ ...claims, username: 'admin', sub: 'someone-else' })}.${signature}`;
      expectError(await me(forged), 401);
      const [h, p, s] = alice.access_token.split('.');
      expectError(await me(`${h}.${p}.${s.slice(0, -2)}${s.endsWith('AA') ? 'BB' : 'AA'}`), 401);
    });

    it('an expired refresh token, correctly signed, and the session survives it', async () => {
      const refreshClaims = jwt.decode(alice.refresh_token) as jwt.JwtPayload;
      const { iat: _iat, exp: _exp, ...rest } = refreshClaims;
      const expired = jwt.sign({ ...rest, exp: Math.floor(Date.now() / 1000) - 60 }, TEST_SECRET, {
        algorithm: 'HS256',
      });
      const reply = await refresh(expired);
      expectError(reply, 401);
      expect(reply.body.error.message).to.match(/expired/);
      expectStatus(await me(alice.access_token), 200);
    });

    it('an expired token, correctly signed', async () => {
      const { iat: _iat, exp: _exp, ...rest } = claims;
      const expired = jwt.sign({ ...rest, exp: Math.floor(Date.now() / 1000) - 60 }, TEST_SECRET, {
        algorithm: 'HS256',
      });
      const reply = await me(expired);
      expectError(reply, 401);
      expect(reply.body.error.message).to.match(/expired/);
    });

    it('an alg: none token', async () => {
      const unsigned = `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
      expectError(await me(unsigned), 401);
    });

    it('a token signed with another HMAC algorithm and the right key', async () => {
      const { iat: _iat, exp: _exp, ...rest } = claims;
      expectError(await me(jwt.sign(rest, TEST_SECRET, { algorithm: 'HS512', expiresIn: 60 })), 401);
    });

    it('a token signed with RS256 by someone else', async () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const { iat: _iat, exp: _exp, ...rest } = claims;
      expectError(await me(jwt.sign(rest, privateKey, { algorithm: 'RS256', expiresIn: 60 })), 401);
    });

    it('a token signed with another key', async () => {
      const { iat: _iat, exp: _exp, ...rest } = claims;
      expectError(await me(jwt.sign(rest, 'x'.repeat(64), { algorithm: 'HS256', expiresIn: 60 })), 401);
    });

    it('a well-signed access token for a session that never existed', async () => {
      const { iat: _iat, exp: _exp, ...rest } = claims;
      expectError(
        await me(jwt.sign({ ...rest, sid: 'no-such-session' }, TEST_SECRET, { algorithm: 'HS256', expiresIn: 60 })),
        401,
      );
    });

    it('garbage and malformed Authorization headers', async () => {
      for (const authorization of ['Bearer', 'Bearer not.a.jwt', 'Basic dXNlcjpwYXNz', `Token ${alice.access_token}`]) {
        expectError(await api.get('/users/me', { headers: { authorization } }), 401);
      }
    });
  });
});
