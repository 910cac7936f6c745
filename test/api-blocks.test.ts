import { expect } from 'chai';
import { expectError, expectStatus } from './helpers/assert';
import { registerAndLogin, uniqueName, type Client, type TestUser } from './helpers/http';
import { useServer } from './helpers/suite';
import { connectWithHistory, type ChatClient } from './helpers/ws';

describe('REST: blocking (/users/blocks)', () => {
  const fixture = useServer();
  let api: Client;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  const sockets: ChatClient[] = [];

  beforeEach(async () => {
    api = fixture.api;
    [alice, bob, carol] = await Promise.all([registerAndLogin(api), registerAndLogin(api), registerAndLogin(api)]);
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.ws.close();
  });

  const block = (by: TestUser, username: unknown) =>
    api.post('/users/blocks', { token: by.access_token, json: { username } });
  const unblock = (by: TestUser, username: string) =>
    api.request('DELETE', `/users/blocks/${encodeURIComponent(username)}`, { token: by.access_token });
  const list = async (by: TestUser): Promise<string[]> => {
    const reply = await api.get('/users/blocks', { token: by.access_token });
    expectStatus(reply, 200);
    expect(reply.headers.get('cache-control')).to.equal('no-store');
    return reply.body.users;
  };
  const pm = (from: TestUser, to: TestUser, text = 'hello') =>
    api.post('/messenger/messages', { token: from.access_token, json: { to: to.username, text } });

  it('starts empty, lists blocks in the order made, and unblocks', async () => {
    expect(await list(alice)).to.deep.equal([]);
    expectStatus(await block(alice, carol.username), 204);
    expectStatus(await block(alice, bob.username.toUpperCase()), 204);
    // The stored username, not the case it was asked for in.
    expect(await list(alice)).to.deep.equal([carol.username, bob.username]);
    expect(await list(bob)).to.deep.equal([]);
    expectStatus(await unblock(alice, carol.username), 204);
    expect(await list(alice)).to.deep.equal([bob.username]);
  });

  it('is idempotent: blocking twice lists once; unblocking someone not blocked is 204 and changes nothing', async () => {
    expectStatus(await block(alice, bob.username), 204);
    expectStatus(await block(alice, bob.username), 204);
    expect(await list(alice)).to.deep.equal([bob.username]);
    expectStatus(await unblock(alice, carol.username), 204);
    expectStatus(await unblock(alice, bob.username), 204);
    expectStatus(await unblock(alice, bob.username), 204);
    expect(await list(alice)).to.deep.equal([]);
  });

  it('refuses a blocked person’s PMs with the same 403 as the "nobody" policy, and lets them through after unblocking', async () => {
    expectStatus(await pm(bob, alice, 'before'), 201);
    expectStatus(await block(alice, bob.username), 204);
    const blocked = await pm(bob, alice, 'while blocked');
    expectError(blocked, 403, 'pm_not_accepted');

    // Carol refuses everyone: Bob cannot tell the two refusals apart (besides the name in the message).
    expectStatus(
      await api.post('/users/update', { token: carol.access_token, json: { settings: { pm_policy: 'nobody' } } }),
      200,
    );
    const nobody = await pm(bob, carol);
    expectError(nobody, 403, 'pm_not_accepted');
    expect(blocked.body.error.message.replace(alice.username, 'X')).to.equal(
      nobody.body.error.message.replace(carol.username, 'X'),
    );

    // The blocker can still write to the blocked person; only that direction is refused.
    expectStatus(await pm(alice, bob, 'from the blocker'), 201);
    expectStatus(await unblock(alice, bob.username), 204);
    expectStatus(await pm(bob, alice, 'after'), 201);
    const inbox = await api.get('/messenger/inbox', { token: alice.access_token });
    expect(inbox.body.messages.map((m: { text: string }) => m.text)).to.deep.equal(['before', 'after']);
  });

  it('refuses a blocked person’s PMs over the WebSocket with the same error frame', async () => {
    expectStatus(await block(alice, bob.username), 204);
    const { client: socket } = await connectWithHistory(fixture.server.url, bob.access_token);
    sockets.push(socket);
    socket.send({ type: 'pm', to: alice.username, text: 'hi', ref: 'blocked-1' });
    const error = await socket.nextOfType('error');
    expect(error).to.include({ code: 'pm_not_accepted', ref: 'blocked-1' });
    socket.send({ type: 'pm', to: carol.username, text: 'hi', ref: 'other-1' });
    expect(
      await socket.next((f) => f.type === 'ack' && f.ref === 'other-1', 'the ack of a PM to someone else'),
    ).to.be.an('object');
  });

  it('401 without a token, on every blocks route', async () => {
    expectError(await api.get('/users/blocks'), 401, 'not_authenticated');
    expectError(await api.post('/users/blocks', { json: { username: bob.username } }), 401, 'not_authenticated');
    expectError(await api.request('DELETE', `/users/blocks/${bob.username}`), 401, 'not_authenticated');
  });

  it('404 for an unknown user, either way', async () => {
    const ghost = uniqueName('ghost');
    expectError(await block(alice, ghost), 404, 'user_not_found');
    expectError(await unblock(alice, ghost), 404, 'user_not_found');
    expect(await list(alice)).to.deep.equal([]);
  });

  it('422 for blocking yourself (in any case); unblocking yourself is a 204 that changes nothing', async () => {
    expectError(await block(alice, alice.username.toUpperCase()), 422, 'block_self');
    expectStatus(await unblock(alice, alice.username), 204);
    expect(await list(alice)).to.deep.equal([]);
  });

  it('400 for a malformed body', async () => {
    expectError(await block(alice, 42), 400, 'invalid_request');
    expectError(await api.post('/users/blocks', { token: alice.access_token, json: {} }), 400, 'invalid_request');
    expectError(
      await api.post('/users/blocks', { token: alice.access_token, json: { username: bob.username, x: 1 } }),
      400,
    );
  });

  it("reserves 'blocks' for new accounts, so the route word cannot be taken", async () => {
    const reply = await api.post('/users/create', {
      json: { username: 'Blocks', email: 'blocks@example.test', password: 'correct horse' },
    });
    expectError(reply, 422, 'validation_failed');
    expect(reply.body.error.details).to.have.property('username');
    // What an account that took the name earlier keeps: its picture URL still reaches the picture route.
    expectError(await api.get('/users/blocks/picture'), 404, 'picture_not_found');
  });
});
