import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { sqliteFileIn } from '../src/store/sqlite';
import { client, registerAndLogin, uniqueName, type Client, type TestUser } from './helpers/http';
import { fileForm, png } from './helpers/images';
import { checkpoint, rawHits } from './helpers/privacy';
import { startTestServer, tempDataDir, type TestServer } from './helpers/server';
import { NO_RATE_LIMITS, useServer } from './helpers/suite';

const eraseMe = (api: Client, user: TestUser, password = user.password) =>
  api.request('DELETE', '/users/me', { token: user.access_token, json: { password } });

describe('GET /users/me/export', () => {
  const fixture = useServer();
  let alice: TestUser;
  let bob: TestUser;

  before(async () => {
    const { api } = fixture;
    alice = await registerAndLogin(api);
    bob = await registerAndLogin(api);
    await api.post('/users/update', { token: alice.access_token, json: { first_name: 'Alice', phone: '+49 30 1' } });
    await api.patch('/users/add_picture', { token: alice.access_token, body: fileForm(png(), 'me.png') });
    await api.post('/messenger/messages', { token: alice.access_token, json: { to: bob.username, text: 'to bob' } });
    await api.post('/messenger/messages', { token: bob.access_token, json: { to: alice.username, text: 'to alice' } });
    await api.post('/messenger/messages', { token: alice.access_token, json: { text: 'to everyone' } });
    await api.post('/messenger/messages', { token: bob.access_token, json: { text: 'bob to everyone' } });
    await api.post('/users/blocks', { token: alice.access_token, json: { username: bob.username } });
  });

  it('hands out everything kept about the caller as a JSON attachment', async () => {
    const reply = await fixture.api.get('/users/me/export', { token: alice.access_token });
    expect(reply.status).to.equal(200);
    expect(reply.headers.get('content-type')).to.match(/^application\/json/);
    expect(reply.headers.get('content-disposition')).to.match(/^attachment; filename="parley-.+\.json"$/);
    expect(reply.headers.get('cache-control')).to.equal('no-store');
    const data = reply.body;
    expect(data.profile).to.include({
      user_id: alice.user_id,
      username: alice.username,
      email: `${alice.username}@example.test`,
      first_name: 'Alice',
      phone: '+49 30 1',
      picture: `/users/${alice.username}/picture`,
    });
    expect(data.settings).to.deep.equal({ pm_policy: 'everyone', phone_public: false, read_receipts: true });
    expect(data.sessions).to.have.length(1);
    expect(data.sessions[0])
      .to.include({ ended: null })
      .and.to.have.keys('session_id', 'started_at', 'expires_at', 'ended');
    expect(data.private_messages.sent.map((m: { text: string }) => m.text)).to.deep.equal(['to bob']);
    expect(data.private_messages.received.map((m: { text: string; from: string }) => [m.from, m.text])).to.deep.equal([
      [bob.username, 'to alice'],
    ]);
    expect(data.chat_messages.map((m: { text: string }) => m.text)).to.deep.equal(['to everyone']);
    expect(data.blocks.map((b: { username: string }) => b.username)).to.deep.equal([bob.username]);
    expect(data.read_markers).to.deep.equal([
      { with: bob.username, read_up_to_position: 0, their_receipts_up_to: null },
    ]);
  });

  it('wants a bearer token', async () => {
    const reply = await fixture.api.get('/users/me/export');
    expect(reply.status).to.equal(401);
    expect(reply.body.error.code).to.equal('not_authenticated');
  });

  it('shows a correspondent who erased their account as erased', async () => {
    const carol = await registerAndLogin(fixture.api);
    await fixture.api.post('/messenger/messages', {
      token: carol.access_token,
      json: { to: alice.username, text: 'from carol' },
    });
    expect((await eraseMe(fixture.api, carol)).status).to.equal(204);
    const data = (await fixture.api.get('/users/me/export', { token: alice.access_token })).body;
    expect(data.private_messages.received.at(-1)).to.include({
      from: null,
      erased: true,
      text: null,
      to: alice.username,
    });
  });
});

describe('GET /users/me/export is rate-limited per user', () => {
  const fixture = useServer({ ...NO_RATE_LIMITS, RATE_LIMIT_EXPORT_USER: '2' }, { rateLimits: true });

  it('answers 429 with Retry-After once the user has used up their exports, and counts users apart', async () => {
    const alice = await registerAndLogin(fixture.api);
    const bob = await registerAndLogin(fixture.api);
    for (let i = 0; i < 2; i++)
      expect((await fixture.api.get('/users/me/export', { token: alice.access_token })).status).to.equal(200);
    const refused = await fixture.api.get('/users/me/export', { token: alice.access_token });
    expect(refused.status).to.equal(429);
    expect(refused.body.error.code).to.equal('rate_limited');
    expect(Number(refused.headers.get('retry-after'))).to.be.above(0);
    expect((await fixture.api.get('/users/me/export', { token: bob.access_token })).status).to.equal(200);
  });
});

describe('DELETE /users/me', () => {
  const fixture = useServer();

  it('wants a bearer token and a password, refusing anything else with nothing changed', async () => {
    const alice = await registerAndLogin(fixture.api);
    expect((await fixture.api.request('DELETE', '/users/me', { json: { password: alice.password } })).status).to.equal(
      401,
    );
    const empty = await fixture.api.request('DELETE', '/users/me', { token: alice.access_token });
    expect(empty.status).to.equal(400);
    const extra = await fixture.api.request('DELETE', '/users/me', {
      token: alice.access_token,
      json: { password: alice.password, x: 1 },
    });
    expect(extra.status).to.equal(400);
    const wrong = await eraseMe(fixture.api, alice, 'wrong password');
    expect(wrong.status).to.equal(401);
    expect(wrong.body.error).to.include({ code: 'invalid_credentials' });
    expect((await fixture.api.get('/users/me', { token: alice.access_token })).status).to.equal(200);
  });

  it('ends every session (access and refresh tokens), keeps the username taken and frees the email', async () => {
    const alice = await registerAndLogin(fixture.api);
    const second = await fixture.api.post('/auth/login', {
      json: { username: alice.username, password: alice.password },
    });
    expect((await eraseMe(fixture.api, alice)).status).to.equal(204);
    expect((await fixture.api.get('/users/me', { token: second.body.access_token })).status).to.equal(401);
    expect((await fixture.api.post('/auth/refresh', { json: { refresh_token: alice.refresh_token } })).status).to.equal(
      401,
    );
    expect((await eraseMe(fixture.api, alice)).status).to.equal(401);

    const sameName = await fixture.api.post('/users/create', {
      json: {
        username: alice.username.toUpperCase(),
        email: `${uniqueName()}@example.test`,
        password: 'correct horse',
      },
    });
    expect(sameName.status).to.equal(409);
    expect(sameName.body.error.code).to.equal('username_taken');
    const sameEmail = await fixture.api.post('/users/create', {
      json: { username: uniqueName(), email: `${alice.username}@example.test`, password: 'correct horse' },
    });
    expect(sameEmail.status, JSON.stringify(sameEmail.body)).to.equal(201);
    expect((await fixture.api.get(`/users?search=${alice.username}`)).body.users).to.deep.equal([]);
  });

  it('keeps a picture another user has too', async () => {
    const alice = await registerAndLogin(fixture.api);
    const bob = await registerAndLogin(fixture.api);
    const bytes = png([9, 9, 9]);
    for (const u of [alice, bob])
      await fixture.api.patch('/users/add_picture', { token: u.access_token, body: fileForm(bytes, 'p.png') });
    expect((await eraseMe(fixture.api, alice)).status).to.equal(204);
    expect((await fixture.api.get(`/users/${bob.username}/picture`)).status).to.equal(200);
  });
});

describe('erasure racing with messages: a message is stored before it and erased with the rest, or refused', function () {
  this.timeout(60_000);
  const dataDir = tempDataDir();
  let server: TestServer | undefined;
  after(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('never stores one in plaintext, nor leaves the erased user anything in the read models', async () => {
    server = await startTestServer({ ...NO_RATE_LIMITS, DATA_DIR: dataDir }, { keepData: true });
    const api = client(server.url);
    const victim = await registerAndLogin(api);
    const friend = await registerAndLogin(api);
    const texts = { toVictim: [] as string[], fromVictim: [] as string[] };
    const sends = Array.from({ length: 15 }, (_, i) => {
      const toVictim = `to the victim ${randomBytes(6).toString('hex')}`;
      const fromVictim = `from the victim ${randomBytes(6).toString('hex')}`;
      texts.toVictim.push(toVictim);
      texts.fromVictim.push(fromVictim);
      return [
        api.post('/messenger/messages', { token: friend.access_token, json: { to: victim.username, text: toVictim } }),
        api.post('/messenger/messages', { token: victim.access_token, json: { text: fromVictim, ref: `r${i}` } }),
      ];
    });
    const [erased, ...replies] = await Promise.all([eraseMe(api, victim), ...sends.flat()]);
    expect(erased.status).to.equal(204);
    for (const [i, reply] of replies.entries()) {
      expect(i % 2 === 0 ? [201, 404] : [201, 401], JSON.stringify(reply.body)).to.include(reply.status);
    }
    expect(await server.parley.engine.readModels.inbox(victim.user_id, 100)).to.deep.equal([]);
    expect(await server.parley.engine.readModels.userById(victim.user_id)).to.equal(null);

    await server.close();
    server = undefined;
    checkpoint(dataDir);
    // What the victim sent is nowhere; what was sent to them is in the log only encrypted (under the sender's key).
    expect(rawHits(dataDir, texts.fromVictim)).to.deep.equal([]);
    const db = new Database(sqliteFileIn(dataDir), { readonly: true });
    const log = (db.prepare('SELECT data FROM events').all() as { data: string }[]).map((r) => r.data).join('\n');
    db.close();
    for (const text of texts.toVictim) expect(log).not.to.contain(text);
  });
});
