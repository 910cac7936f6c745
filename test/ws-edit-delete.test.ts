import { expect } from 'chai';
import { expectStatus } from './helpers/assert';
import { client, registerAndLogin, type Client, type TestUser } from './helpers/http';
import { startTestServer, type TestServer } from './helpers/server';
import { connectWithHistory, TEST_LIMITS, type ChatClient, type Frame } from './helpers/ws';

/** Every frame that changes what a user sees carries its resync cursor: checked, then set aside. */
function withoutCursor({ cursor, ...frame }: Frame): Frame {
  expect(cursor).to.be.a('string');
  return frame;
}

describe('chat socket: editing and deleting messages', () => {
  let server: TestServer;
  let api: Client;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  const open: ChatClient[] = [];

  const join = async (user: TestUser) => {
    const { client: chat, history } = await connectWithHistory(server.url, user.access_token);
    open.push(chat);
    return Object.assign(chat, { history });
  };
  const ofType = (type: string, pred: (f: Frame) => boolean) => (f: Frame) => f.type === type && pred(f);
  const sendPm = async (from: TestUser, to: TestUser, text: string) => {
    const reply = await api.post('/messenger/messages', { token: from.access_token, json: { to: to.username, text } });
    expectStatus(reply, 201);
    return reply.body as Frame;
  };
  const postChat = async (from: TestUser, text: string) => {
    const reply = await api.post('/messenger/messages', { token: from.access_token, json: { text } });
    expectStatus(reply, 201);
    return reply.body as Frame;
  };
  /** A chat line every socket gets after whatever came before it: what a socket did not get by then, it never gets. */
  const barrier = async (sockets: ChatClient[]) => {
    const line = await postChat(carol, `barrier ${Math.random()}`);
    for (const s of sockets)
      await s.next(
        ofType('chat', (f) => f.id === line.id),
        'the barrier line',
      );
    return line.id as string;
  };
  /** The frames a socket received before the frame with this id. */
  const framesBefore = (socket: ChatClient, id: string) =>
    socket.frames.slice(
      0,
      socket.frames.findIndex((f) => f.id === id),
    );

  before(async () => {
    server = await startTestServer(TEST_LIMITS);
    api = client(server.url);
  });
  beforeEach(async () => {
    [alice, bob, carol] = [await registerAndLogin(api), await registerAndLogin(api), await registerAndLogin(api)];
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });
  after(async () => {
    await server.stop();
  });

  it('{type:"edit"} edits a PM: ack with the id, and an edited frame to every socket of both parties only', async () => {
    const [a1, a2, b, c] = [await join(alice), await join(alice), await join(bob), await join(carol)];
    const sent = await sendPm(alice, bob, 'helo');
    a1.send({ type: 'edit', id: sent.id, text: ' hello ', ref: 'e-1' });
    expect(await a1.nextOfType('ack')).to.deep.equal({ type: 'ack', ref: 'e-1', id: sent.id });
    for (const socket of [a1, a2, b]) {
      const frame = await socket.nextOfType('edited');
      expect(frame).to.have.all.keys('type', 'message', 'cursor');
      expect(frame.message).to.include({
        type: 'pm',
        id: sent.id,
        from: alice.username,
        to: bob.username,
        text: 'hello',
        sent_at: sent.sent_at,
        deleted: false,
      });
      expect(frame.message.edited_at).to.be.a('string');
    }
    const mark = await barrier([c]);
    expect(framesBefore(c, mark).filter((f) => f.type === 'edited')).to.deep.equal([]);
  });

  it('{type:"delete"} deletes a PM: a deleted frame to both parties, and the history shows the tombstone', async () => {
    const [a, b, c] = [await join(alice), await join(bob), await join(carol)];
    const sent = await sendPm(alice, bob, 'oops');
    a.send({ type: 'delete', id: sent.id, ref: 'd-1' });
    expect(await a.nextOfType('ack')).to.deep.equal({ type: 'ack', ref: 'd-1', id: sent.id });
    for (const socket of [a, b])
      expect(withoutCursor(await socket.nextOfType('deleted'))).to.deep.equal({ type: 'deleted', id: sent.id });
    const mark = await barrier([c]);
    expect(framesBefore(c, mark).filter((f) => f.type === 'deleted')).to.deep.equal([]);
    const again = await join(bob);
    expect(again.history.messages.find((m: Frame) => m.id === sent.id)).to.deep.equal({
      ...sent,
      text: null,
      deleted: true,
    });
  });

  it('edits and deletes of a chat line reach every socket; without a ref there is no ack', async () => {
    const [a, b, c] = [await join(alice), await join(bob), await join(carol)];
    const line = await postChat(alice, 'hi all');
    a.send({ type: 'edit', id: line.id, text: 'hi, all' });
    for (const socket of [a, b, c]) {
      expect((await socket.nextOfType('edited')).message).to.include({ type: 'chat', id: line.id, text: 'hi, all' });
    }
    a.send({ type: 'delete', id: line.id });
    for (const socket of [a, b, c])
      expect(withoutCursor(await socket.nextOfType('deleted'))).to.deep.equal({ type: 'deleted', id: line.id });
    await barrier([a]);
    expect(a.frames.filter((f) => f.type === 'ack')).to.deep.equal([]);
  });

  it('changes made through REST are delivered live too (delivery comes from the log)', async () => {
    const b = await join(bob);
    const sent = await sendPm(alice, bob, 'via rest');
    expectStatus(
      await api.patch(`/messenger/messages/${sent.id}`, { token: alice.access_token, json: { text: 'via REST' } }),
      200,
    );
    expect((await b.nextOfType('edited')).message).to.include({ id: sent.id, text: 'via REST' });
    expectStatus(await api.request('DELETE', `/messenger/messages/${sent.id}`, { token: alice.access_token }), 204);
    expect(withoutCursor(await b.nextOfType('deleted'))).to.deep.equal({ type: 'deleted', id: sent.id });
  });

  it('answers refusals with error frames carrying the API codes and the ref', async () => {
    const [a, b] = [await join(alice), await join(bob)];
    const sent = await sendPm(alice, bob, 'mine');
    const secret = await sendPm(carol, alice, 'not for bob');
    const cases: [ChatClient, object, string][] = [
      [b, { type: 'edit', id: sent.id, text: 'yours?' }, 'not_message_sender'],
      [b, { type: 'delete', id: sent.id }, 'not_message_sender'],
      [b, { type: 'edit', id: secret.id, text: 'x' }, 'message_not_found'],
      [a, { type: 'edit', id: 'no-such-id', text: 'x' }, 'message_not_found'],
      [a, { type: 'delete', id: 'no-such-id' }, 'message_not_found'],
      [a, { type: 'edit', id: sent.id, text: '   ' }, 'validation_failed'],
      [a, { type: 'edit', id: sent.id }, 'invalid_request'],
      [a, { type: 'delete', id: '' }, 'invalid_request'],
      [a, { type: 'delete', id: sent.id, extra: true }, 'invalid_request'],
    ];
    for (const [i, [socket, frame, code]] of cases.entries()) {
      socket.send({ ...frame, ref: `r-${i}` });
      const error = await socket.next(
        ofType('error', (f) => f.ref === `r-${i}`),
        `error r-${i}`,
      );
      expect(error.code, JSON.stringify(frame)).to.equal(code);
      expect(error.message).to.be.a('string').and.not.be.empty;
    }
    a.send({ type: 'delete', id: sent.id, ref: 'gone' });
    await a.next(ofType('ack', (f) => f.ref === 'gone'));
    a.send({ type: 'edit', id: sent.id, text: 'back', ref: 'late' });
    expect(await a.next(ofType('error', (f) => f.ref === 'late'))).to.include({ code: 'message_deleted' });
    // Deleting again is fine: an ack, and no second deleted frame.
    a.send({ type: 'delete', id: sent.id, ref: 'again' });
    await a.next(ofType('ack', (f) => f.ref === 'again'));
    const mark = await barrier([a]);
    expect(framesBefore(a, mark).filter((f) => f.type === 'deleted')).to.have.length(1);
    expect(framesBefore(a, mark).filter((f) => f.type === 'edited')).to.deep.equal([]);
  });

  it('the history frame shows edits', async () => {
    const sent = await sendPm(alice, bob, 'first draft');
    expectStatus(
      await api.patch(`/messenger/messages/${sent.id}`, { token: alice.access_token, json: { text: 'final' } }),
      200,
    );
    const b = await join(bob);
    const shown = b.history.messages.find((m: Frame) => m.id === sent.id);
    expect(shown).to.include({ text: 'final', deleted: false });
    expect(shown.edited_at).to.be.a('string');
  });
});
