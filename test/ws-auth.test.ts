import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import { client, registerAndLogin, type Client, type TestUser } from './helpers/http';
import { startTestServer, TEST_SECRET, type TestServer } from './helpers/server';
import { connectWithHistory, refusedUpgrade, TEST_LIMITS, wsUrl, type ChatClient } from './helpers/ws';

/** A genuine access token of `user`'s session that expires in `seconds` (signed with the test key). */
function shortLivedToken(user: TestUser, seconds: number): string {
  const claims = jwt.decode(user.access_token) as { sub: string; sid: string; username: string };
  return jwt.sign({ typ: 'access', sub: claims.sub, sid: claims.sid, username: claims.username }, TEST_SECRET, {
    algorithm: 'HS256',
    expiresIn: seconds,
  });
}

describe('chat socket: authentication', () => {
  let server: TestServer;
  let api: Client;
  let alice: TestUser;
  const open: ChatClient[] = [];
  const join = async (token: string) => {
    const { client: chat } = await connectWithHistory(server.url, token);
    open.push(chat);
    return chat;
  };

  before(async () => {
    server = await startTestServer(TEST_LIMITS);
    api = client(server.url);
  });
  beforeEach(async () => {
    alice = await registerAndLogin(api);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });
  after(async () => {
    await server.stop();
  });

  describe('refused at the upgrade with 401 (no socket is opened)', () => {
    const expectRefused = async (url: string, code: string, options = {}) => {
      const refusal = await refusedUpgrade(url, options);
      expect(refusal.status).to.equal(401);
      expect(refusal.body.error.code).to.equal(code);
      expect(refusal.headers['www-authenticate']).to.match(/^Bearer/);
    };

    it('without a token', async () => {
      await expectRefused(wsUrl(server.url), 'not_authenticated');
      await expectRefused(wsUrl(server.url), 'not_authenticated', { protocols: ['parley'] });
    });

    it('with a garbage token, in each place a token may travel', async () => {
      await expectRefused(`${wsUrl(server.url)}?token=garbage`, 'session_invalid');
      await expectRefused(wsUrl(server.url), 'session_invalid', { headers: { Authorization: 'Bearer not.a.jwt' } });
      await expectRefused(wsUrl(server.url), 'session_invalid', { protocols: ['parley', 'garbage'] });
    });

    it('with a refresh token used as an access token', async () => {
      await expectRefused(`${wsUrl(server.url)}?token=${alice.refresh_token}`, 'session_invalid');
    });

    it('with a token signed by another key', async () => {
      const claims = jwt.decode(alice.access_token) as object;
      const forged = jwt.sign({ ...claims }, 'x'.repeat(64), { algorithm: 'HS256' });
      await expectRefused(`${wsUrl(server.url)}?token=${forged}`, 'session_invalid');
    });

    it('with an expired token', async () => {
      await expectRefused(`${wsUrl(server.url)}?token=${shortLivedToken(alice, -10)}`, 'session_invalid');
    });

    it('with the token of a session that was logged out', async () => {
      expect((await api.post('/auth/logout', { token: alice.access_token })).status).to.equal(204);
      await expectRefused(`${wsUrl(server.url)}?token=${alice.access_token}`, 'session_invalid');
    });

    it('answers 404 on other paths', async () => {
      const refusal = await refusedUpgrade(
        `${server.url.replace('http', 'ws')}/messenger/other?token=${alice.access_token}`,
      );
      expect(refusal.status).to.equal(404);
      expect(refusal.body.error.code).to.equal('not_found');
    });
  });

  it('closes the sockets of a session when it is logged out (4003), and only those', async () => {
    const second = await api.post('/auth/login', { json: { username: alice.username, password: alice.password } });
    const [first1, first2, other] = await Promise.all([
      join(alice.access_token),
      join(alice.access_token),
      join(second.body.access_token),
    ]);
    expect((await api.post('/auth/logout', { token: alice.access_token })).status).to.equal(204);
    for (const chat of [first1, first2]) {
      const closed = await chat.waitClose();
      expect(closed.code).to.equal(4003);
      expect(closed.reason).to.match(/logout/);
    }
    other.send('the other session lives on');
    expect((await other.nextOfType('chat')).text).to.equal('the other session lives on');
  });

  it('closes the sockets of sessions a password change ends (4003)', async () => {
    const second = await api.post('/auth/login', { json: { username: alice.username, password: alice.password } });
    const other = await join(second.body.access_token);
    const mine = await join(alice.access_token);
    const changed = await api.post('/users/update', {
      token: alice.access_token,
      json: { current_password: alice.password, new_password: 'a brand new password' },
    });
    expect(changed.status).to.equal(200);
    expect((await other.waitClose()).code).to.equal(4003);
    mine.send('the changing session stays');
    expect((await mine.nextOfType('chat')).text).to.equal('the changing session stays');
  });

  it('closes with 4001 when the access token expires without renewal', async () => {
    const chat = await join(shortLivedToken(alice, 2));
    const closed = await chat.waitClose(5000);
    expect(closed).to.deep.equal({ code: 4001, reason: 'access token expired' });
  });

  it('keeps the connection past expiry after an auth frame with a fresh token', async () => {
    const chat = await join(shortLivedToken(alice, 2));
    const refreshed = await api.post('/auth/refresh', { json: { refresh_token: alice.refresh_token } });
    chat.send({ type: 'auth', token: refreshed.body.access_token });
    const authenticated = await chat.nextOfType('authenticated');
    expect(authenticated.username).to.equal(alice.username);
    expect(Date.parse(authenticated.expires_at)).to.be.greaterThan(Date.now() + 60_000);
    // Wait past the first token's expiry: the socket is still there and working.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    chat.send({ type: 'chat', text: 'still here', ref: 'after-expiry' });
    expect((await chat.nextOfType('ack')).ref).to.equal('after-expiry');
  });

  it("refuses auth frames with a bad token or another user's token, and keeps the connection", async () => {
    const bob = await registerAndLogin(api);
    const chat = await join(alice.access_token);
    chat.send({ type: 'auth', token: 'garbage' });
    expect((await chat.nextOfType('error')).code).to.equal('session_invalid');
    chat.send({ type: 'auth', token: bob.access_token });
    expect((await chat.nextOfType('error')).code).to.equal('auth_user_mismatch');
    chat.send({ type: 'auth' });
    expect((await chat.nextOfType('error')).code).to.equal('invalid_request');
    chat.send('still alice');
    expect((await chat.nextOfType('chat')).from).to.equal(alice.username);
  });

  it("moves a socket to the new session an auth frame names, so that session's logout closes it", async () => {
    const chat = await join(alice.access_token);
    const second = await api.post('/auth/login', { json: { username: alice.username, password: alice.password } });
    chat.send({ type: 'auth', token: second.body.access_token });
    await chat.nextOfType('authenticated');
    // Ending the first session no longer concerns this socket; ending the second does.
    await api.post('/auth/logout', { token: alice.access_token });
    chat.send('on the second session');
    expect((await chat.nextOfType('chat')).text).to.equal('on the second session');
    await api.post('/auth/logout', { token: second.body.access_token });
    expect((await chat.waitClose()).code).to.equal(4003);
  });
});
