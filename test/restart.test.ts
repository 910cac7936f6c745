import { rmSync } from 'node:fs';
import { expect } from 'chai';
import { expectError, expectStatus } from './helpers/assert';
import { client, registerAndLogin, type Client, type TestUser } from './helpers/http';
import { fileForm, png } from './helpers/images';
import { startTestServer, tempDataDir, type TestServer } from './helpers/server';
import { NO_RATE_LIMITS } from './helpers/suite';

describe('restart on the same DATA_DIR', () => {
  let dataDir: string;
  let server: TestServer | null = null;
  const start = async (env: Record<string, string> = {}): Promise<Client> => {
    server = await startTestServer({ ...NO_RATE_LIMITS, DATA_DIR: dataDir, ...env }, { keepData: true });
    return client(server.url);
  };
  const stop = async () => {
    await server?.stop();
    server = null;
  };

  beforeEach(() => {
    dataDir = tempDataDir();
  });
  afterEach(async () => {
    await stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps users, sessions, pictures, messages and chat, and goes on writing after them', async () => {
    let api = await start();
    const alice = await registerAndLogin(api);
    const bob = await registerAndLogin(api);
    expectStatus(
      await api.post('/users/update', {
        token: alice.access_token,
        json: { first_name: 'Alice', settings: { phone_public: true } },
      }),
      200,
    );
    expectStatus(
      await api.patch('/users/add_picture', { token: alice.access_token, body: fileForm(png(), 'a.png', 'image/png') }),
      200,
    );
    for (let i = 0; i < 3; i++)
      expectStatus(
        await api.post('/messenger/messages', {
          token: alice.access_token,
          json: { text: `/pm ${bob.username} before ${i}` },
        }),
        201,
      );
    expectStatus(
      await api.post('/messenger/messages', { token: bob.access_token, json: { text: 'chat before' } }),
      201,
    );
    const logoutVictim = await api.post('/auth/login', { json: { username: bob.username, password: bob.password } });
    expect((await api.post('/auth/logout', { token: logoutVictim.body.access_token })).status).to.equal(204);
    const snapshot = {
      me: (await api.get('/users/me', { token: alice.access_token })).body,
      profile: (await api.get(`/users/${alice.username}`)).body,
      inbox: (await api.get('/messenger/inbox', { token: bob.access_token })).body,
      conversation: (await api.get(`/messenger/conversations/${alice.username}`, { token: bob.access_token })).body,
      chat: (await api.get('/messenger/chat', { token: bob.access_token })).body,
      picture: Buffer.from(await (await fetch(`${server!.url}/users/${alice.username}/picture`)).arrayBuffer()),
    };
    await stop();

    api = await start();
    // The same tokens still work: the sessions and the signing key survived; the logged-out one stays out.
    expect((await api.get('/users/me', { token: alice.access_token })).body).to.deep.equal(snapshot.me);
    expect((await api.get(`/users/${alice.username}`)).body).to.deep.equal(snapshot.profile);
    expect((await api.get('/messenger/inbox', { token: bob.access_token })).body).to.deep.equal(snapshot.inbox);
    expect(
      (await api.get(`/messenger/conversations/${alice.username}`, { token: bob.access_token })).body,
    ).to.deep.equal(snapshot.conversation);
    expect((await api.get('/messenger/chat', { token: bob.access_token })).body).to.deep.equal(snapshot.chat);
    expect(
      Buffer.from(await (await fetch(`${server!.url}/users/${alice.username}/picture`)).arrayBuffer()).equals(
        snapshot.picture,
      ),
    ).to.equal(true);
    expectError(await api.get('/users/me', { token: logoutVictim.body.access_token }), 401);

    // Uniqueness is kept across the restart, and refresh and login work.
    expectError(
      await api.post('/users/create', {
        json: { username: alice.username.toUpperCase(), email: 'other@example.test', password: 'correct horse' },
      }),
      409,
      'username_taken',
    );
    expectStatus(await api.post('/auth/refresh', { json: { refresh_token: alice.refresh_token } }), 200);
    expectStatus(await api.post('/auth/login', { json: { username: alice.username, password: alice.password } }), 200);

    // New writes land after the old ones.
    const after = await api.post('/messenger/messages', {
      token: alice.access_token,
      json: { text: `/pm ${bob.username} after` },
    });
    expectStatus(after, 201);
    const inbox = (await api.get('/messenger/inbox', { token: bob.access_token })).body.messages.map(
      (m: { text: string }) => m.text,
    );
    expect(inbox).to.deep.equal(['before 0', 'before 1', 'before 2', 'after']);
  });

  it('without SECRET_KEY, the generated key is kept: tokens from before the restart still work', async () => {
    let api = await start({ SECRET_KEY: '' });
    expect(server!.config.secretKeyGenerated).to.equal(true);
    const alice: TestUser = await registerAndLogin(api);
    await stop();
    api = await start({ SECRET_KEY: '' });
    expectStatus(await api.get('/users/me', { token: alice.access_token }), 200);
  });
});
