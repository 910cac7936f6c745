import { generateKeyPairSync, createHmac } from 'node:crypto';
import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import { expectError } from './helpers/assert';
import { client, registerAndLogin, uniqueName, type Client, type TestUser } from './helpers/http';
import { LogCapture } from './helpers/log-capture';
import { TEST_SECRET, startTestServer, type TestServer } from './helpers/server';
import { NO_RATE_LIMITS } from './helpers/suite';
import { connectWithHistory, refusedUpgrade, wsUrl } from './helpers/ws';

const b64url = (value: unknown): string =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const payloadOf = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
/** A token with this header and payload, signed (HMAC-SHA256 with `key`) or not. */
const craft = (header: object, payload: object, key?: string): string => {
  const unsigned = `${b64url(header)}.${b64url(payload)}`;
  return `${unsigned}.${key ? createHmac('sha256', key).update(unsigned).digest('base64url') : ''}`;
};
const withoutTimes = ({ iat: _iat, exp: _exp, ...claims }: Record<string, unknown>) => claims;

describe('security: JWT hardening', () => {
  /** Every log line the server writes, for checking that no secret reaches them. */
  const logs = new LogCapture();
  let server: TestServer;
  let url: string;
  let api: Client;
  let alice: TestUser;
  let bob: TestUser;
  /** Every token the tests see, good or bad: none may appear in a log line. */
  const seen = new Set<string>();

  before(async () => {
    server = await startTestServer({ ...NO_RATE_LIMITS, ALGORITHM: 'HS256', LOG_LEVEL: 'trace' }, { logTo: logs });
    url = server.url;
    api = client(url);
    alice = await registerAndLogin(api, uniqueName('alice'));
    bob = await registerAndLogin(api, uniqueName('bob'));
    for (const t of [alice.access_token, alice.refresh_token, bob.access_token, bob.refresh_token]) seen.add(t);
  });
  after(async () => {
    await server.stop();
  });

  /** Access tokens that must all be refused, each with what is wrong with it. */
  function badAccessTokens(): [string, string][] {
    const claims = withoutTimes(payloadOf(alice.access_token));
    const now = Math.floor(Date.now() / 1000);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const [header, payload, signature] = alice.access_token.split('.') as [string, string, string];
    const tokens: [string, string][] = [
      ['alg none', craft({ alg: 'none', typ: 'JWT' }, { ...claims, iat: now, exp: now + 600 })],
      ['alg None', craft({ alg: 'None', typ: 'JWT' }, { ...claims, iat: now, exp: now + 600 })],
      [
        'HS512 (HS256 is configured), same secret',
        jwt.sign(claims, TEST_SECRET, { algorithm: 'HS512', expiresIn: 600 }),
      ],
      ['HS384, same secret', jwt.sign(claims, TEST_SECRET, { algorithm: 'HS384', expiresIn: 600 })],
      ['RS256', jwt.sign(claims, privateKey, { algorithm: 'RS256', expiresIn: 600 })],
      [
        'RS256 header over an HMAC signature',
        craft({ alg: 'RS256', typ: 'JWT' }, { ...claims, iat: now, exp: now + 600 }, TEST_SECRET),
      ],
      ['a refresh token', alice.refresh_token],
      [
        'no type claim',
        jwt.sign({ sub: claims.sub, sid: claims.sid, username: claims.username }, TEST_SECRET, {
          algorithm: 'HS256',
          expiresIn: 600,
        }),
      ],
      ['expired', jwt.sign({ ...claims, exp: now - 60 }, TEST_SECRET, { algorithm: 'HS256' })],
      ['not yet valid', jwt.sign(claims, TEST_SECRET, { algorithm: 'HS256', expiresIn: 600, notBefore: 600 })],
      [
        'payload changed, signature kept',
        `${header}.${b64url({ ...payloadOf(alice.access_token), username: bob.username })}.${signature}`,
      ],
      ['signature changed', `${header}.${payload}.${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`],
      ['signed with another key', jwt.sign(claims, `${TEST_SECRET}x`, { algorithm: 'HS256', expiresIn: 600 })],
      [
        "another user's session",
        jwt.sign({ ...claims, sid: payloadOf(bob.access_token).sid }, TEST_SECRET, {
          algorithm: 'HS256',
          expiresIn: 600,
        }),
      ],
      [
        'a session that never existed',
        jwt.sign({ ...claims, sid: '00000000-0000-4000-8000-000000000000' }, TEST_SECRET, {
          algorithm: 'HS256',
          expiresIn: 600,
        }),
      ],
      ['not a JWT', 'not-a-token'],
      ['two parts', `${header}.${payload}`],
    ];
    for (const [, token] of tokens) seen.add(token);
    return tokens;
  }

  it('the genuine token works (the control for everything below)', async () => {
    expect((await api.get('/users/me', { token: alice.access_token })).status).to.equal(200);
    const { client: chat } = await connectWithHistory(url, alice.access_token);
    await chat.close();
  });

  it('REST: every forged, foreign, wrong-type or expired access token gets 401 with a Bearer challenge', async () => {
    for (const [what, token] of badAccessTokens()) {
      const reply = await api.get('/users/me', { token });
      expectError(reply, 401);
      expect(reply.body.error.code, what).to.be.oneOf(['session_invalid', 'not_authenticated']);
      expect(reply.headers.get('www-authenticate'), what).to.match(/^Bearer/);
    }
  });

  it('WebSocket: the same tokens are refused at the upgrade with 401, whichever way they travel', async () => {
    for (const [what, token] of badAccessTokens()) {
      const viaQuery = await refusedUpgrade(`${wsUrl(url)}?token=${encodeURIComponent(token)}`);
      expect(viaQuery.status, what).to.equal(401);
      expect(viaQuery.body.error.code, what).to.be.a('string');
      const viaHeader = await refusedUpgrade(wsUrl(url), { headers: { Authorization: `Bearer ${token}` } });
      expect(viaHeader.status, what).to.equal(401);
    }
    const none = await refusedUpgrade(wsUrl(url));
    expect(none.status).to.equal(401);
  });

  it('refresh: access tokens, forged and expired refresh tokens get 401', async () => {
    const claims = withoutTimes(payloadOf(alice.refresh_token));
    const now = Math.floor(Date.now() / 1000);
    const bad: [string, string][] = [
      ['an access token', alice.access_token],
      ['alg none', craft({ alg: 'none', typ: 'JWT' }, { ...claims, iat: now, exp: now + 600 })],
      ['HS512', jwt.sign(claims, TEST_SECRET, { algorithm: 'HS512', expiresIn: 600 })],
      ['expired', jwt.sign({ ...claims, exp: now - 60 }, TEST_SECRET, { algorithm: 'HS256' })],
      ['signed with another key', jwt.sign(claims, `${TEST_SECRET}x`, { algorithm: 'HS256', expiresIn: 600 })],
    ];
    for (const [what, token] of bad) {
      seen.add(token);
      const reply = await api.post('/auth/refresh', { json: { refresh_token: token } });
      expect(reply.status, what).to.equal(401);
    }
  });

  it('revoked: after logout the access token gets 401 over REST and at the upgrade, and the refresh token too', async () => {
    const carol = await registerAndLogin(api, uniqueName('carol'));
    seen.add(carol.access_token).add(carol.refresh_token);
    const { client: chat } = await connectWithHistory(url, carol.access_token);
    expect((await api.post('/auth/logout', { token: carol.access_token })).status).to.equal(204);
    expectError(await api.get('/users/me', { token: carol.access_token }), 401, 'session_invalid');
    expect((await refusedUpgrade(`${wsUrl(url)}?token=${encodeURIComponent(carol.access_token)}`)).status).to.equal(
      401,
    );
    expectError(await api.post('/auth/refresh', { json: { refresh_token: carol.refresh_token } }), 401);
    // The socket that was open when the session ended is closed too.
    const closed = await chat.waitClose();
    expect(closed.code).to.equal(4003);
  });

  it('a spent refresh token presented again gets 401 and ends the session', async () => {
    const dave = await registerAndLogin(api, uniqueName('dave'));
    seen.add(dave.access_token).add(dave.refresh_token);
    const first = await api.post('/auth/refresh', { json: { refresh_token: dave.refresh_token } });
    expect(first.status).to.equal(200);
    seen.add(first.body.access_token).add(first.body.refresh_token);
    expectError(
      await api.post('/auth/refresh', { json: { refresh_token: dave.refresh_token } }),
      401,
      'refresh_token_reused',
    );
    expectError(await api.get('/users/me', { token: first.body.access_token }), 401, 'session_invalid');
  });

  it('no token, password or key ever reaches the log, whatever way it was sent', async () => {
    // Tokens in places that might be logged: the query string of an API call and of the upgrade.
    await api.get(`/users?search=a&token=${encodeURIComponent(alice.access_token)}`);
    await api.get(`/users/me?access_token=${encodeURIComponent(alice.access_token)}`, { token: alice.access_token });
    const { client: chat } = await connectWithHistory(url, alice.access_token, { via: 'query' });
    chat.send({ type: 'auth', token: 'garbage-token-value-in-a-frame' });
    seen.add('garbage-token-value-in-a-frame');
    await chat.nextOfType('error');
    await chat.close();

    expect(logs.lines.length, 'the server logged its requests').to.be.greaterThan(20);
    const everything = logs.lines.join('');
    expect(everything).to.include('"request"'); // the request log is there, at trace level
    for (const token of seen) {
      expect(everything.includes(token), `a token was logged: ${token.slice(0, 24)}…`).to.equal(false);
      // Not even its signature alone.
      const signature = token.split('.')[2];
      if (signature && signature.length > 16) expect(everything.includes(signature)).to.equal(false);
    }
    expect(everything).to.not.include(alice.password);
    expect(everything).to.not.include(TEST_SECRET);
  });
});
