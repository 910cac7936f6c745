import { expect } from 'chai';
import { client, registerAndLogin, type Client, type TestUser } from './helpers/http';
import { startTestServer, type TestServer } from './helpers/server';
import { connectWithHistory, TEST_LIMITS, type ChatClient, type Frame } from './helpers/ws';

describe('chat socket: frames', () => {
  let server: TestServer;
  let api: Client;
  let alice: TestUser;
  let bob: TestUser;
  const open: ChatClient[] = [];

  const join = async (user: TestUser, via?: 'query' | 'header' | 'protocol') => {
    const { client: chat, history } = await connectWithHistory(server.url, user.access_token, { via });
    open.push(chat);
    return Object.assign(chat, { history });
  };
  const isId = (id: string) => (f: Frame) => f.id === id;

  before(async () => {
    server = await startTestServer(TEST_LIMITS);
    api = client(server.url);
  });
  beforeEach(async () => {
    alice = await registerAndLogin(api);
    bob = await registerAndLogin(api);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });
  after(async () => {
    await server.stop();
  });

  it('opens with a history frame, whichever way the token travels', async () => {
    for (const via of ['query', 'header', 'protocol'] as const) {
      const chat = await join(alice, via);
      expect(chat.history).to.deep.equal({ type: 'history', messages: [] });
      if (via === 'protocol') expect(chat.ws.protocol).to.equal('parley');
    }
  });

  it('delivers "/pm user text" to the recipient and echoes it to the sender with recipient_online', async () => {
    const a = await join(alice);
    const b = await join(bob);
    a.send(`/pm ${bob.username.toUpperCase()}   hello bob`);
    const received = await b.nextOfType('pm');
    expect(received).to.include({ type: 'pm', from: alice.username, to: bob.username, text: 'hello bob' });
    expect(received).to.have.all.keys('type', 'id', 'from', 'to', 'text', 'sent_at');
    expect(new Date(received.sent_at).toISOString()).to.equal(received.sent_at);
    const echo = await a.nextOfType('pm');
    expect(echo).to.deep.equal({ ...received, recipient_online: true });
  });

  it('tells the sender when the recipient has no open socket', async () => {
    const a = await join(alice);
    a.send({ type: 'pm', to: bob.username, text: 'are you there?' });
    const echo = await a.nextOfType('pm');
    expect(echo).to.include({ to: bob.username, recipient_online: false });
  });

  it('sends any other text to everyone connected as a chat frame', async () => {
    const carol = await registerAndLogin(api);
    const [a, b, c] = await Promise.all([join(alice), join(bob), join(carol)]);
    a.send('  hello everyone  ');
    const frames = await Promise.all([a, b, c].map((chat) => chat.nextOfType('chat')));
    for (const frame of frames) {
      expect(frame).to.deep.equal(frames[0]);
      expect(frame).to.include({ type: 'chat', from: alice.username, text: 'hello everyone' });
      expect(frame).to.have.all.keys('type', 'id', 'from', 'text', 'sent_at');
    }
  });

  it('acks JSON frames that carry a ref, with the stored message id', async () => {
    const a = await join(alice);
    const b = await join(bob);
    a.send({ type: 'pm', to: bob.username, text: 'with a ref', ref: 'r-pm-1' });
    const ack = await a.nextOfType('ack');
    expect(ack).to.have.all.keys('type', 'ref', 'id');
    expect(ack.ref).to.equal('r-pm-1');
    expect((await b.next(isId(ack.id), 'the pm')).text).to.equal('with a ref');

    a.send({ type: 'chat', text: 'chat with a ref', ref: 'r-chat-1' });
    const chatAck = await a.nextOfType('ack');
    expect(chatAck.ref).to.equal('r-chat-1');
    expect((await b.next(isId(chatAck.id), 'the chat line')).type).to.equal('chat');
  });

  it('stores a resent ref once and acks it with the same id', async () => {
    const a = await join(alice);
    const frame = { type: 'pm', to: bob.username, text: 'only once', ref: 'resend-me' };
    a.send(frame);
    const first = await a.nextOfType('ack');
    a.send(frame);
    const second = await a.nextOfType('ack');
    expect(second).to.deep.equal(first);
    // A third, over another connection of the same user, lands on the same message too.
    const a2 = await join(alice);
    a2.send(frame);
    expect(await a2.nextOfType('ack')).to.deep.equal(first);

    const history = await api.get(`/messenger/conversations/${bob.username}`, { token: alice.access_token });
    expect(history.body.messages.map((m: Frame) => m.id)).to.deep.equal([first.id]);
    // The same ref from another user is another message.
    const b = await join(bob);
    b.send({ ...frame, to: alice.username });
    expect((await b.nextOfType('ack')).id).to.not.equal(first.id);
  });

  it('fans out to every connection of the recipient and of the sender', async () => {
    const [a1, a2, b1, b2] = await Promise.all([join(alice), join(alice), join(bob), join(bob)]);
    a1.send({ type: 'pm', to: bob.username, text: 'to all your tabs', ref: 'fan' });
    const { id } = await a1.nextOfType('ack');
    const copies = await Promise.all([a1, a2, b1, b2].map((c) => c.next(isId(id), 'the pm')));
    expect(copies.map((f) => f.text)).to.deep.equal(Array(4).fill('to all your tabs'));
    expect(copies[0].recipient_online).to.equal(true);
    expect(copies[1].recipient_online).to.equal(true);
    expect(copies[2]).to.not.have.property('recipient_online');

    b2.send('general news');
    const lines = await Promise.all([a1, a2, b1, b2].map((c) => c.nextOfType('chat')));
    expect(new Set(lines.map((f) => f.id)).size).to.equal(1);
  });

  it('delivers a message sent with POST /messenger/messages live', async () => {
    const b = await join(bob);
    const a = await join(alice);
    const pm = await api.post('/messenger/messages', {
      token: alice.access_token,
      json: { to: bob.username, text: 'over REST' },
    });
    expect(pm.status).to.equal(201);
    expect(await b.next(isId(pm.body.id), 'the REST pm')).to.deep.equal(pm.body);
    expect(await a.next(isId(pm.body.id), 'the echo')).to.deep.equal({ ...pm.body, recipient_online: true });
    const chat = await api.post('/messenger/messages', { token: alice.access_token, json: { text: 'REST chat line' } });
    expect(await b.next(isId(chat.body.id), 'the REST chat line')).to.deep.equal(chat.body);
  });

  it('sends the last 20 private messages received while offline, oldest first', async () => {
    for (let i = 1; i <= 25; i++) {
      const sent = await api.post('/messenger/messages', {
        token: alice.access_token,
        json: { text: `/pm ${bob.username} message ${i}` },
      });
      expect(sent.status).to.equal(201);
    }
    // Chat lines and messages bob sent are not part of his history.
    await api.post('/messenger/messages', { token: alice.access_token, json: { text: 'not a pm' } });
    await api.post('/messenger/messages', { token: bob.access_token, json: { to: alice.username, text: 'from bob' } });
    const b = await join(bob);
    expect(b.history.messages.map((m: Frame) => m.text)).to.deep.equal(
      Array.from({ length: 20 }, (_, i) => `message ${i + 6}`),
    );
    for (const m of b.history.messages) {
      expect(m).to.include({ type: 'pm', from: alice.username, to: bob.username });
      expect(m).to.have.all.keys('type', 'id', 'from', 'to', 'text', 'sent_at');
    }
  });

  it('gives each message exactly once, in history or live, when they arrive while connecting', async () => {
    const texts = Array.from({ length: 30 }, (_, i) => `racing ${i}`);
    const sending = (async () => {
      for (const text of texts)
        await api.post('/messenger/messages', { token: alice.access_token, json: { to: bob.username, text } });
    })();
    const b = await join(bob);
    await sending;
    // The last one is in the history, or it comes live after it.
    if (!b.history.messages.some((m: Frame) => m.text === 'racing 29')) {
      await b.next((f) => f.type === 'pm' && f.text === 'racing 29', 'the last message live');
    }
    const seen = [...b.history.messages, ...b.frames.filter((f) => f.type === 'pm')].map(
      (m: Frame) => m.text as string,
    );
    expect(seen.length, 'no message twice').to.equal(new Set(seen).size);
    // Whatever came before the history's window, the newest 20 are all there.
    expect(seen).to.include.members(texts.slice(-20));
  });

  describe('errors (the connection stays open)', () => {
    const expectError = async (chat: ChatClient, frame: string | object, code: string, ref?: string) => {
      chat.send(frame);
      const error = await chat.nextOfType('error');
      expect(error.code, JSON.stringify(error)).to.equal(code);
      expect(error.message).to.be.a('string').and.not.equal('');
      if (ref === undefined) expect(error).to.not.have.property('ref');
      else expect(error.ref).to.equal(ref);
      return error;
    };

    it('answers every kind of bad input with its error code', async () => {
      const a = await join(alice);
      await expectError(a, '/pm nobody_by_that_name hi', 'recipient_not_found');
      await expectError(
        a,
        { type: 'pm', to: 'nobody_by_that_name', text: 'hi', ref: 'e1' },
        'recipient_not_found',
        'e1',
      );
      await expectError(a, `/pm ${alice.username} talking to myself`, 'pm_to_self');
      await expectError(a, '   ', 'validation_failed');
      await expectError(a, { type: 'chat', text: '', ref: 'e2' }, 'validation_failed', 'e2');
      await expectError(a, 'x'.repeat(4001), 'validation_failed');
      await expectError(
        a,
        { type: 'pm', to: bob.username, text: 'y'.repeat(4001), ref: 'e3' },
        'validation_failed',
        'e3',
      );
      await expectError(a, '/pm', 'validation_failed');
      await expectError(a, `/pm ${bob.username}`, 'validation_failed');
      await expectError(a, '{"type":"chat","text":', 'invalid_json');
      await expectError(a, { type: 'shout', text: 'hi', ref: 'e4' }, 'unknown_type', 'e4');
      await expectError(a, { text: 'no type' }, 'unknown_type');
      await expectError(a, { type: 'pm', text: 'no recipient', ref: 'e5' }, 'invalid_request', 'e5');
      await expectError(a, { type: 'chat', text: 'hi', extra: true }, 'invalid_request');
      a.ws.send(Buffer.from('binary'), { binary: true });
      expect((await a.nextOfType('error')).code).to.equal('invalid_request');

      // Still open, and still working; nothing of the above was stored.
      a.send({ type: 'chat', text: 'still here', ref: 'ok' });
      expect((await a.nextOfType('ack')).ref).to.equal('ok');
      await a.next((f) => f.type === 'chat' && f.text === 'still here', 'the chat line');
      // No echo or delivery of anything that was refused.
      expect(a.frames.filter((f) => f.type === 'pm' || f.type === 'chat').map((f) => f.text)).to.deep.equal([
        'still here',
      ]);
      const chat = await api.get('/messenger/chat', { token: alice.access_token });
      expect(
        chat.body.messages.filter((m: Frame) => m.from === alice.username).map((m: Frame) => m.text),
      ).to.deep.equal(['still here']);
    });

    it('refuses a private message to someone who does not accept them', async () => {
      const changed = await api.post('/users/update', {
        token: bob.access_token,
        json: { settings: { pm_policy: 'nobody' } },
      });
      expect(changed.status).to.equal(200);
      const a = await join(alice);
      await expectError(a, { type: 'pm', to: bob.username, text: 'hi', ref: 'np' }, 'pm_not_accepted', 'np');
    });

    it('rate-limits a flood with error frames and handles what it let through', async () => {
      const a = await join(alice);
      const total = 100;
      for (let i = 0; i < total; i++) a.ws.send(JSON.stringify({ type: 'chat', text: `flood ${i}`, ref: `f${i}` }));
      const answers: Frame[] = [];
      while (answers.length < total)
        answers.push(await a.next((f) => f.type === 'ack' || f.type === 'error', 'an answer'));
      const limited = answers.filter((f) => f.type === 'error');
      expect(limited.length).to.be.greaterThan(0);
      for (const e of limited) {
        expect(e.code).to.equal('rate_limited');
        expect(e.details.retry_after_ms).to.be.a('number').greaterThan(0);
        expect(e.ref).to.match(/^f\d+$/);
      }
      const acked = answers.filter((f) => f.type === 'ack');
      // The burst is 40; a little refill may happen while the frames arrive.
      expect(acked.length).to.be.within(40, total - 1);
      expect(server.chat.stats().rate_limited).to.be.at.least(limited.length);
    });
  });

  it('counts connections and frames in stats()', async () => {
    const before = server.chat.stats();
    const a = await join(alice);
    a.send('counted');
    await a.nextOfType('chat');
    const after = server.chat.stats();
    expect(after.connections).to.equal(before.connections + 1);
    expect(after.frames_in).to.equal(before.frames_in + 1);
    expect(after.frames_out).to.be.at.least(before.frames_out + 2);
    expect(after.feed_position).to.be.greaterThan(before.feed_position);
  });
});
