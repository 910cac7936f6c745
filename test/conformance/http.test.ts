import { expect } from 'chai';
import { expectError, expectStatus } from '../helpers/assert';
import { forEachEngine, type EngineStorage } from '../helpers/engines';
import { client, registerAndLogin, uniqueName, type Client } from '../helpers/http';
import { fileForm, png } from '../helpers/images';
import { startTestServer, type TestServer } from '../helpers/server';
import { NO_RATE_LIMITS } from '../helpers/suite';
import { connectWithHistory } from '../helpers/ws';

/** The HTTP and WebSocket paths that reach the store, served by each engine. */
forEachEngine('HTTP and WebSocket end to end', (kind) => {
  let storage: EngineStorage;
  let server: TestServer;
  let api: Client;
  const start = async () => {
    server = await startTestServer({ ...NO_RATE_LIMITS, ...storage.env }, { keepData: true });
    api = client(server.url);
  };

  beforeEach(async () => {
    storage = kind.storage();
    await start();
  });
  afterEach(async () => {
    await server.stop();
    await storage.destroy();
  });

  it('registers, logs in, updates, searches and reads profiles', async () => {
    const alice = await registerAndLogin(api, uniqueName('Alice'));
    const updated = await api.post('/users/update', {
      token: alice.access_token,
      json: { first_name: 'Alice', settings: { phone_public: true } },
    });
    expectStatus(updated, 200);
    expect(updated.body).to.include({ first_name: 'Alice' });
    const found = await api.get(`/users?search=${alice.username.slice(0, 4).toLowerCase()}`);
    expect(found.body.users.map((u: { username: string }) => u.username)).to.include(alice.username);
    expectStatus(await api.get(`/users/${alice.username.toUpperCase()}`), 200);
    expectError(await api.get('/users/nobody_here'), 404, 'user_not_found');
  });

  it('answers two concurrent registrations of one username with one 201 and one 409', async () => {
    const name = uniqueName('dup');
    const replies = await Promise.all(
      [name, name.toUpperCase()].map((username, i) =>
        api.post('/users/create', {
          json: { username, email: `${name}-${i}@example.test`, password: 'correct horse' },
        }),
      ),
    );
    expect(replies.map((r) => r.status).sort()).to.deep.equal([201, 409]);
    expectError(
      replies.find((r) => r.status === 409)!,
      409,
      'username_taken',
    );
  });

  it('sends private and chat messages, and serves inbox, conversation and chat history', async () => {
    const alice = await registerAndLogin(api);
    const bob = await registerAndLogin(api);
    const sent = [];
    for (const text of ['one', 'two', 'three']) {
      const reply = await api.post('/messenger/messages', {
        token: alice.access_token,
        json: { text: `/pm ${bob.username} ${text}` },
      });
      expectStatus(reply, 201);
      sent.push(reply.body.id);
    }
    expectStatus(await api.post('/messenger/messages', { token: bob.access_token, json: { text: 'hello all' } }), 201);
    const inbox = await api.get('/messenger/inbox', { token: bob.access_token });
    expect(inbox.body.messages.map((m: { id: string }) => m.id)).to.deep.equal(sent);
    const conversation = await api.get(`/messenger/conversations/${alice.username}?limit=2&before=${sent[2]}`, {
      token: bob.access_token,
    });
    expectStatus(conversation, 200);
    expect(conversation.body.messages.map((m: { id: string }) => m.id)).to.deep.equal([sent[1], sent[0]]);
    const chat = await api.get('/messenger/chat', { token: alice.access_token });
    expect(chat.body.messages.map((m: { text: string }) => m.text)).to.deep.equal(['hello all']);
  });

  it('stores and serves a profile picture', async () => {
    const alice = await registerAndLogin(api);
    const picture = png([1, 2, 3]);
    const upload = await api.request('PATCH', '/users/add_picture', {
      token: alice.access_token,
      body: fileForm(picture, 'me.png'),
    });
    expectStatus(upload, 200);
    const res = await fetch(`${server.url}/users/${alice.username}/picture`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.equal('image/png');
    expect(Buffer.from(await res.arrayBuffer()).equals(picture)).to.equal(true);
  });

  it('delivers a private message live to the recipient’s socket', async () => {
    const alice = await registerAndLogin(api);
    const bob = await registerAndLogin(api);
    const { client: socket, history } = await connectWithHistory(server.url, bob.access_token);
    expect(history.messages).to.deep.equal([]);
    const sent = await api.post('/messenger/messages', {
      token: alice.access_token,
      json: { text: `/pm ${bob.username} live` },
    });
    const frame = await socket.nextOfType('pm');
    expect(frame).to.include({ id: sent.body.id, from: alice.username, to: bob.username, text: 'live' });
    await socket.close();
  });

  it('keeps accounts, sessions and messages across a restart', async () => {
    const alice = await registerAndLogin(api);
    const bob = await registerAndLogin(api);
    await api.post('/messenger/messages', {
      token: alice.access_token,
      json: { text: `/pm ${bob.username} before restart` },
    });
    await server.stop();
    await start();
    // The old access token still names a live session; the password still logs in.
    const inbox = await api.get('/messenger/inbox', { token: bob.access_token });
    expectStatus(inbox, 200);
    expect(inbox.body.messages.map((m: { text: string }) => m.text)).to.deep.equal(['before restart']);
    expectStatus(await api.post('/auth/login', { json: { username: alice.username, password: alice.password } }), 200);
    // And the log continues where it was.
    expectStatus(
      await api.post('/messenger/messages', {
        token: alice.access_token,
        json: { text: `/pm ${bob.username} after restart` },
      }),
      201,
    );
    const after = await api.get('/messenger/inbox', { token: bob.access_token });
    expect(after.body.messages.map((m: { text: string }) => m.text)).to.deep.equal(['before restart', 'after restart']);
  });
});
