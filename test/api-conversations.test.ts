import { expect } from 'chai';
import { expectError, expectStatus } from './helpers/assert';
import { registerAndLogin, type Client, type TestUser } from './helpers/http';
import { useServer } from './helpers/suite';
import { connectWithHistory, type ChatClient } from './helpers/ws';

interface Entry {
  with: string;
  last_message: { id: string; from: string; to: string; text: string };
  unread: number;
  seen_up_to: string | null;
}

describe('REST: conversations and read markers', () => {
  const fixture = useServer();
  let api: Client;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  beforeEach(async () => {
    api = fixture.api;
    [alice, bob, carol] = [await registerAndLogin(api), await registerAndLogin(api), await registerAndLogin(api)];
  });

  const send = async (from: TestUser, to: TestUser, text: string): Promise<string> => {
    const reply = await api.post('/messenger/messages', { token: from.access_token, json: { to: to.username, text } });
    expectStatus(reply, 201);
    return reply.body.id;
  };
  const list = async (user: TestUser, query = ''): Promise<Entry[]> => {
    const reply = await api.get(`/messenger/conversations${query}`, { token: user.access_token });
    expectStatus(reply, 200);
    expect(reply.body).to.have.all.keys('conversations');
    return reply.body.conversations;
  };
  const read = (user: TestUser, withUser: string, upTo: unknown) =>
    api.post(`/messenger/conversations/${encodeURIComponent(withUser)}/read`, {
      token: user.access_token,
      json: { up_to: upTo },
    });
  const unread = async (user: TestUser) => Object.fromEntries((await list(user)).map((e) => [e.with, e.unread]));

  describe('GET /messenger/conversations', () => {
    it('is empty for someone who exchanged no PMs', async () => {
      expect(await list(alice)).to.deep.equal([]);
    });

    it('has one entry per person, most recent activity first, with the last message either way and unread counts', async () => {
      await send(bob, alice, 'b1');
      await send(bob, alice, 'b2');
      await send(carol, alice, 'c1');
      const last = await send(alice, bob, 'a1');
      const entries = await list(alice);
      expect(entries.map((e) => e.with)).to.deep.equal([bob.username, carol.username]);
      expect(entries[0]).to.have.all.keys('with', 'last_message', 'unread', 'seen_up_to');
      expect(entries[0].seen_up_to).to.equal(null);
      expect(entries[0].last_message).to.include({
        type: 'pm',
        id: last,
        from: alice.username,
        to: bob.username,
        text: 'a1',
      });
      expect(entries.map((e) => e.unread)).to.deep.equal([2, 1]);
      // The other side: alice's messages are unread for bob; carol has alice's none.
      expect(await unread(bob)).to.deep.equal({ [alice.username]: 1 });
      expect(await unread(carol)).to.deep.equal({ [alice.username]: 0 });
    });

    it("pages with before=<the last entry's with> and limit", async () => {
      const others = [bob, carol, await registerAndLogin(api)];
      for (const other of others) await send(other, alice, `from ${other.username}`);
      const first = await list(alice, '?limit=2');
      expect(first.map((e) => e.with)).to.deep.equal([others[2].username, carol.username]);
      const second = await list(alice, `?limit=2&before=${carol.username.toUpperCase()}`);
      expect(second.map((e) => e.with)).to.deep.equal([bob.username]);
      expect(await list(alice, `?before=${bob.username}`)).to.deep.equal([]);
    });

    it('400 for a before that names nobody, or nobody alice talked to; 400 for a bad limit; 401 without a token', async () => {
      await send(bob, alice, 'hi');
      expectError(
        await api.get('/messenger/conversations?before=nobody_such_user', { token: alice.access_token }),
        400,
        'invalid_cursor',
      );
      expectError(
        await api.get(`/messenger/conversations?before=${carol.username}`, { token: alice.access_token }),
        400,
        'invalid_cursor',
      );
      for (const limit of ['0', '101', 'x']) {
        expectError(
          await api.get(`/messenger/conversations?limit=${limit}`, { token: alice.access_token }),
          400,
          'invalid_request',
        );
      }
      expectError(await api.get('/messenger/conversations'), 401, 'not_authenticated');
    });
  });

  describe('POST /messenger/conversations/{username}/read', () => {
    it('marks everything from that person up to and including the message read (204)', async () => {
      const b1 = await send(bob, alice, 'b1');
      const b2 = await send(bob, alice, 'b2');
      await send(bob, alice, 'b3');
      const reply = await read(alice, bob.username, b2);
      expectStatus(reply, 204);
      expect(await unread(alice)).to.deep.equal({ [bob.username]: 1 });
      // The marker never moves backwards: an older message changes nothing.
      expectStatus(await read(alice, bob.username.toUpperCase(), b1), 204);
      expect(await unread(alice)).to.deep.equal({ [bob.username]: 1 });
      // Bob's list says how far alice has read (her receipts are on).
      expect((await list(bob))[0].seen_up_to).to.equal(b2);
    });

    it("takes one's own message too: everything received before it is read", async () => {
      await send(bob, alice, 'b1');
      const mine = await send(alice, bob, 'a1');
      await send(bob, alice, 'b2');
      expectStatus(await read(alice, bob.username, mine), 204);
      expect(await unread(alice)).to.deep.equal({ [bob.username]: 1 });
    });

    it('404 for an unknown user, an unknown message, and a message of another conversation', async () => {
      const b1 = await send(bob, alice, 'b1');
      const toCarol = await send(bob, carol, 'not yours');
      expectError(await read(alice, 'nobody_such_user', b1), 404, 'user_not_found');
      expectError(await read(alice, bob.username, '00000000-0000-4000-8000-000000000000'), 404, 'message_not_found');
      expectError(await read(alice, bob.username, toCarol), 404, 'message_not_found');
      // Bob's message to alice, but named under the wrong person.
      expectError(await read(alice, carol.username, b1), 404, 'message_not_found');
      expectError(await read(alice, alice.username, b1), 404, 'message_not_found');
      expect(await unread(alice)).to.deep.equal({ [bob.username]: 1 });
    });

    it('400 for a malformed body, 401 without a token', async () => {
      const b1 = await send(bob, alice, 'b1');
      for (const json of [{}, { up_to: '' }, { up_to: 7 }, { up_to: b1, extra: 1 }, { up_to: 'x'.repeat(65) }]) {
        expectError(
          await api.post(`/messenger/conversations/${bob.username}/read`, { token: alice.access_token, json }),
          400,
          'invalid_request',
        );
      }
      expectError(
        await api.post(`/messenger/conversations/${bob.username}/read`, { json: { up_to: b1 } }),
        401,
        'not_authenticated',
      );
    });
  });

  describe('the read_receipts setting', () => {
    it('is on by default, in /users/me, and can be turned off through /users/update', async () => {
      const me = await api.get('/users/me', { token: alice.access_token });
      expect(me.body.settings).to.deep.equal({ pm_policy: 'everyone', phone_public: false, read_receipts: true });
      const off = await api.post('/users/update', {
        token: alice.access_token,
        json: { settings: { read_receipts: false } },
      });
      expectStatus(off, 200);
      expect(off.body.settings.read_receipts).to.equal(false);
      expect((await api.get('/users/me', { token: alice.access_token })).body.settings.read_receipts).to.equal(false);
      expectError(
        await api.post('/users/update', { token: alice.access_token, json: { settings: { read_receipts: 'no' } } }),
        400,
        'invalid_request',
      );
    });
  });

  describe('over the WebSocket', () => {
    const open: ChatClient[] = [];
    afterEach(async () => {
      await Promise.all(open.splice(0).map((c) => c.close()));
    });
    const join = async (user: TestUser) => {
      const { client } = await connectWithHistory(fixture.server.url, user.access_token);
      open.push(client);
      return client;
    };

    it("a read frame marks read: the reader's sockets get read, the sender's get receipt", async () => {
      const b1 = await send(bob, alice, 'b1');
      const [alicePhone, aliceLaptop, bobSocket, carolSocket] = [
        await join(alice),
        await join(alice),
        await join(bob),
        await join(carol),
      ];
      alicePhone.send({ type: 'read', with: bob.username, up_to: b1 });
      // Every frame that changes what a user sees carries its resync cursor.
      const withoutCursor = ({ cursor, ...frame }: { cursor: unknown; [k: string]: unknown }) => {
        expect(cursor).to.be.a('string');
        return frame;
      };
      const expected = { type: 'read', with: bob.username, up_to: b1 };
      expect(withoutCursor(await aliceLaptop.nextOfType('read'))).to.deep.equal(expected);
      expect(withoutCursor(await alicePhone.nextOfType('read'))).to.deep.equal(expected);
      expect(withoutCursor(await bobSocket.nextOfType('receipt'))).to.deep.equal({
        type: 'receipt',
        by: alice.username,
        up_to: b1,
      });
      expect(await unread(alice)).to.deep.equal({ [bob.username]: 0 });
      // A REST read of the same (now old) message sends nothing more; a newer one does.
      expectStatus(await read(alice, bob.username, b1), 204);
      const b2 = await send(bob, alice, 'b2');
      expectStatus(await read(alice, bob.username, b2), 204);
      expect(withoutCursor(await bobSocket.nextOfType('receipt'))).to.deep.equal({
        type: 'receipt',
        by: alice.username,
        up_to: b2,
      });
      expect(aliceLaptop.frames.filter((f) => f.type === 'read').map((f) => f.up_to)).to.deep.equal([b1, b2]);
      expect(bobSocket.frames.filter((f) => f.type === 'receipt')).to.have.length(2);
      expect(carolSocket.frames.filter((f) => f.type === 'read' || f.type === 'receipt')).to.deep.equal([]);
    });

    it('sends no receipt when the reader turned read_receipts off, but still the read frame', async () => {
      expectStatus(
        await api.post('/users/update', { token: alice.access_token, json: { settings: { read_receipts: false } } }),
        200,
      );
      const b1 = await send(bob, alice, 'b1');
      const [aliceSocket, bobSocket] = [await join(alice), await join(bob)];
      aliceSocket.send({ type: 'read', with: bob.username, up_to: b1 });
      expect(await aliceSocket.nextOfType('read')).to.include({ up_to: b1 });
      // The sender of the next PM sees it arrive after the read was handled: a receipt would have come first.
      const b2 = await send(bob, alice, 'b2');
      await bobSocket.next((f) => f.id === b2, 'the next pm');
      expect(bobSocket.frames.filter((f) => f.type === 'receipt')).to.deep.equal([]);
      // b2 was stored consistently, after the read: the lists have the read, and bob's has no receipt.
      expect((await list(alice))[0].unread).to.equal(1);
      expect((await list(bob))[0].seen_up_to).to.equal(null);
    });

    it('answers bad read frames with error frames', async () => {
      const b1 = await send(bob, alice, 'b1');
      const toCarol = await send(bob, carol, 'c');
      const socket = await join(alice);
      socket.send({ type: 'read', with: 'nobody_such_user', up_to: b1 });
      expect(await socket.nextOfType('error')).to.include({ code: 'user_not_found' });
      socket.send({ type: 'read', with: bob.username, up_to: toCarol });
      expect(await socket.nextOfType('error')).to.include({ code: 'message_not_found' });
      for (const frame of [
        { type: 'read', with: bob.username },
        { type: 'read', with: bob.username, up_to: 5 },
        { type: 'read', up_to: b1 },
      ]) {
        socket.send(frame);
        expect(await socket.nextOfType('error')).to.include({ code: 'invalid_request' });
      }
      expect(socket.frames.filter((f) => f.type === 'read')).to.deep.equal([]);
    });
  });
});
