import { rmSync } from 'node:fs';
import { expect } from 'chai';
import { encodeCursor } from '../src/edge/cursor';
import { client, registerAndLogin, type Client, type TestUser } from './helpers/http';
import { startServerProcess, type ServerProcess } from './helpers/processes';
import { startTestServer, tempDataDir, type TestServer } from './helpers/server';
import { connectWithSync, lastCursor, say, shown } from './helpers/sync';
import { connectWithHistory, TEST_LIMITS, type ChatClient, type Frame } from './helpers/ws';

const ids = (frames: Frame[]) => frames.map((f) => `${f.type}:${f.id}`);
const withCursor = (message: Frame, frame: Frame) => ({ ...message, cursor: frame.cursor });

describe('chat socket: resync across two instances on one DATA_DIR', function () {
  this.timeout(60_000);
  const dataDir = tempDataDir();
  let a: ServerProcess;
  let b: ServerProcess;
  const open: ChatClient[] = [];

  before(async () => {
    [a, b] = await Promise.all([startServerProcess({ DATA_DIR: dataDir }), startServerProcess({ DATA_DIR: dataDir })]);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Alice, Bob and Carol registered; Bob connected to instance A; requests go to instance B. */
  async function threePeopleBobOnA() {
    const apiA = client(a.url);
    const [alice, bob, carol] = await Promise.all([
      registerAndLogin(apiA),
      registerAndLogin(apiA),
      registerAndLogin(apiA),
    ]);
    const { client: first } = await connectWithHistory(a.url, bob.access_token);
    open.push(first);
    return { apiB: client(b.url), alice, bob, carol, first };
  }

  it('sends a client that was away exactly the frames it missed, then live frames, none twice', async () => {
    const { apiB, alice, bob, carol, first } = await threePeopleBobOnA();
    const before = await say(apiB, alice, 'before the drop', bob);
    await first.next((f) => f.id === before.id, 'the pm sent before the drop');
    const cursor = lastCursor(first.frames);
    await first.close();

    // While bob is away, everything happens on the other instance.
    const missed = [
      await say(apiB, alice, 'while away', bob),
      await say(apiB, carol, 'a chat line'),
      await say(apiB, bob, 'from another device', alice),
    ];
    await say(apiB, alice, 'not for bob', carol);
    missed.push(await say(apiB, carol, 'a second chat line'));

    const { client: back, sync } = await connectWithSync(a.url, bob.access_token, cursor);
    open.push(back);
    expect(sync).to.have.all.keys('type', 'limited', 'frames', 'cursor');
    expect(sync.limited).to.equal(false);
    expect(ids(sync.frames)).to.deep.equal(ids(missed));
    sync.frames.forEach((frame: Frame, i: number) => expect(frame).to.deep.equal(withCursor(missed[i], frame)));
    expect(new Set(sync.frames.map((f: Frame) => f.cursor)).size).to.equal(missed.length);

    const after = await say(apiB, alice, 'after the reconnect', bob);
    await back.next((f) => f.id === after.id, 'the live pm after the sync');
    expect(ids(shown(back.frames))).to.deep.equal(ids([...missed, after]));

    // Cursors are the log's, so they work on any instance: from the last one, B has nothing new.
    const { client: onB, sync: none } = await connectWithSync(b.url, bob.access_token, lastCursor(back.frames));
    open.push(onB);
    expect(none).to.include({ limited: false }).and.property('frames').that.deep.equals([]);
  });

  it('resyncs the edits, deletes, reads and receipts that happened meanwhile, in log order', async () => {
    const { apiB, alice, bob, carol, first } = await threePeopleBobOnA();
    const toBob = await say(apiB, alice, 'helo', bob);
    const toAlice = await say(apiB, bob, 'hi alice', alice);
    const line = await say(apiB, carol, 'a line to take back');
    await first.next((f) => f.id === line.id, 'the chat line sent before the drop');
    const cursor = lastCursor(first.frames);
    await first.close();

    // While bob is away, on the other instance: an edit, a delete, bob reads (another device), alice reads.
    const ok = (reply: { status: number; body: unknown }, status: number) =>
      expect(reply.status, JSON.stringify(reply.body)).to.equal(status);
    ok(
      await apiB.patch(`/messenger/messages/${toBob.id}`, { token: alice.access_token, json: { text: 'hello' } }),
      200,
    );
    ok(await apiB.request('DELETE', `/messenger/messages/${line.id}`, { token: carol.access_token }), 204);
    const readBy = (who: TestUser, other: TestUser, up_to: string) =>
      apiB.post(`/messenger/conversations/${other.username}/read`, { token: who.access_token, json: { up_to } });
    ok(await readBy(bob, alice, toBob.id), 204);
    ok(await readBy(alice, bob, toAlice.id), 204);

    const { client: back, sync } = await connectWithSync(a.url, bob.access_token, cursor);
    open.push(back);
    expect(sync.limited).to.equal(false);
    const seen = sync.frames.map((f: Frame) => {
      expect(f.cursor).to.be.a('string');
      if (f.type === 'edited') return `edited:${f.message.id}:${f.message.text}`;
      if (f.type === 'deleted') return `deleted:${f.id}`;
      if (f.type === 'read') return `read:${f.with}:${f.up_to}`;
      if (f.type === 'receipt') return `receipt:${f.by}:${f.up_to}`;
      return `${f.type}:${f.id}`;
    });
    expect(seen).to.deep.equal([
      `edited:${toBob.id}:hello`,
      `deleted:${line.id}`,
      `read:${alice.username}:${toBob.id}`,
      `receipt:${alice.username}:${toAlice.id}`,
    ]);
  });
});

describe('chat socket and GET /messenger/sync: limits and bad cursors', function () {
  this.timeout(120_000);
  let server: TestServer;
  let api: Client;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  const open: ChatClient[] = [];
  const join = async (user: TestUser, since: string) => {
    const joined = await connectWithSync(server.url, user.access_token, since);
    open.push(joined.client);
    return joined;
  };
  const sync = (user: TestUser | null, query: string) =>
    api.get(`/messenger/sync${query}`, user ? { token: user.access_token } : {});

  before(async () => {
    server = await startTestServer(TEST_LIMITS);
    api = client(server.url);
  });
  beforeEach(async () => {
    [alice, bob, carol] = await Promise.all([registerAndLogin(api), registerAndLogin(api), registerAndLogin(api)]);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });
  after(async () => {
    await server.stop();
  });

  it('answers a malformed or unknown cursor with a limited sync, then delivers live frames', async () => {
    const head = encodeCursor(1_000_000_000);
    const notCanonical = Buffer.from('c1:007').toString('base64url');
    const wrongVersion = Buffer.from('c2:7').toString('base64url');
    for (const since of ['', 'nope', '%%%', notCanonical, wrongVersion, head, 'x'.repeat(500)]) {
      const { client: chat, sync: first } = await join(bob, since);
      expect(first, since).to.deep.equal({ type: 'sync', limited: true, frames: [], cursor: first.cursor });
      const sent = await say(api, alice, `after ${since.slice(0, 10)}`, bob);
      expect(await chat.next((f) => f.id === sent.id, 'the live pm')).to.include({ text: sent.text });
    }
  });

  it('resyncs from the cursor of a history frame', async () => {
    const { client: chat, history } = await connectWithHistory(server.url, bob.access_token);
    await chat.close();
    const sent = await say(api, alice, 'after the history', bob);
    const { sync: first } = await join(bob, history.cursor);
    expect(first.limited).to.equal(false);
    expect(ids(first.frames)).to.deep.equal(ids([sent]));
  });

  it('syncs up to 1,000 missed frames, and limits a resync of more', async () => {
    const { client: chat, history } = await connectWithHistory(server.url, bob.access_token);
    const firstLine = await say(api, alice, 'line 0');
    await chat.next((f) => f.id === firstLine.id, 'the first line');
    const afterFirst = lastCursor(chat.frames);
    await chat.close();
    for (let i = 1; i <= 1000; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, k) => say(api, carol, `line ${i + k}`)));
    }
    const { sync: all } = await join(bob, afterFirst);
    expect(all.limited).to.equal(false);
    expect(all.frames).to.have.length(1000);
    expect(all.frames.every((f: Frame) => f.type === 'chat' && f.from === carol.username)).to.equal(true);
    const { sync: tooMany } = await join(bob, history.cursor);
    expect(tooMany).to.include({ limited: true }).and.property('frames').that.deep.equals([]);

    const rest = await sync(bob, `?since=${history.cursor}`);
    expect(rest.status).to.equal(200);
    expect(rest.body).to.deep.equal({ frames: [], cursor: rest.body.cursor, limited: true });
  });

  it('GET /messenger/sync pages through the frames a user was shown, and only theirs', async () => {
    const { client: chat, history } = await connectWithHistory(server.url, bob.access_token);
    await chat.close();
    const from = history.cursor as string;
    const sent = [await say(api, alice, 'one', bob), await say(api, carol, 'two'), await say(api, bob, 'three', carol)];
    await say(api, alice, 'not bob’s', carol);
    const page1 = await sync(bob, `?since=${from}&limit=2`);
    expect(page1.status).to.equal(200);
    expect(page1.body.limited).to.equal(false);
    expect(ids(page1.body.frames)).to.deep.equal(ids(sent.slice(0, 2)));
    expect(page1.body.cursor).to.equal(page1.body.frames[1].cursor);
    const page2 = await sync(bob, `?since=${page1.body.cursor}&limit=2`);
    expect(ids(page2.body.frames)).to.deep.equal(ids(sent.slice(2)));
    expect(page2.body.frames[0]).to.deep.equal(withCursor(sent[2], page2.body.frames[0]));
    const page3 = await sync(bob, `?since=${page2.body.cursor}`);
    expect(page3.body).to.deep.equal({ frames: [], cursor: page2.body.cursor, limited: false });
    const carols = await sync(carol, `?since=${from}`);
    expect(carols.body.frames.map((f: Frame) => f.text)).to.deep.equal(['two', 'three', 'not bob’s']);
  });

  it('GET /messenger/sync answers a bad cursor with limited, and a bad query with 400', async () => {
    const bad = await sync(bob, '?since=nope');
    expect(bad.status).to.equal(200);
    expect(bad.body).to.deep.equal({ frames: [], cursor: bad.body.cursor, limited: true });
    const next = await sync(bob, `?since=${bad.body.cursor}`);
    expect(next.body.limited).to.equal(false);
    for (const query of ['', '?since=', '?since=x&limit=0', '?since=x&limit=1001', '?since=x&limit=two']) {
      const reply = await sync(bob, query);
      expect(reply.status, query).to.equal(400);
      expect(reply.body.error.code, query).to.equal('invalid_request');
    }
    const anonymous = await sync(null, '?since=x');
    expect(anonymous.status).to.equal(401);
  });
});
