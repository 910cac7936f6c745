import { expect } from 'chai';
import { MongoNetworkError } from 'mongodb';
import { MAX_EVENT_BYTES } from '../src/store/mongo/group-commit';
import { CommitUnknownError, EventTooLargeError, type Engine, type EventStore } from '../src/store/ports';
import { openSqliteEngine, sqliteFileIn } from '../src/store/sqlite';
import { client, registerAndLogin, type Client, type TestUser } from './helpers/http';
import { startTestServer, tempDataDir, type TestServer } from './helpers/server';
import { NO_RATE_LIMITS } from './helpers/suite';
import { connect, type ChatClient } from './helpers/ws';

type FeedStatus = ReturnType<NonNullable<EventStore['feedStatus']>>;

/**
 * The real SQLite engine, with the failures only the MongoDB engine meets injected where it would
 * raise them: a message whose ref contains '-lost' is stored, then answered as a commit whose outcome
 * the store could not learn; one whose ref contains '-big' is refused as too large. (Refs, not texts:
 * the store only ever sees texts encrypted, see docs/privacy.md.) feedStatus is the test's to set.
 */
function engineWithMongoFailures(dataDir: string): { engine: Engine; feed: { status: FeedStatus } } {
  const real = openSqliteEngine({ file: sqliteFileIn(dataDir) });
  const feed = { status: { mode: 'push' } as FeedStatus };
  const events: EventStore = new Proxy(real.events, {
    get(target, property, receiver) {
      if (property === 'feedStatus') return () => ({ ...feed.status });
      if (property === 'append') {
        return async (...args: Parameters<EventStore['append']>) => {
          const text = JSON.stringify(args[0].flatMap((a) => a.events.map((e) => (e.data as { ref?: string }).ref)));
          if (text.includes('-big')) throw new EventTooLargeError('MessageSent', MAX_EVENT_BYTES + 1, MAX_EVENT_BYTES);
          const result = await target.append(...args);
          if (text.includes('-lost'))
            throw new CommitUnknownError(new MongoNetworkError('connection reset during commit'));
          return result;
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { engine: { ...real, events }, feed };
}

describe('what clients see when the store cannot confirm or cannot take an append', () => {
  let server: TestServer;
  let api: Client;
  let feed: { status: FeedStatus };
  let alice: TestUser;
  let bob: TestUser;

  before(async () => {
    const dataDir = tempDataDir();
    const faulty = engineWithMongoFailures(dataDir);
    feed = faulty.feed;
    server = await startTestServer({ ...NO_RATE_LIMITS, DATA_DIR: dataDir }, { engine: faulty.engine });
    api = client(server.url);
    alice = await registerAndLogin(api);
    bob = await registerAndLogin(api);
  });
  after(async () => {
    await server?.stop();
  });

  const send = (from: TestUser, json: object) => api.post('/messenger/messages', { json, token: from.access_token });
  const conversation = async () =>
    (await api.get(`/messenger/conversations/${bob.username}`, { token: alice.access_token })).body;

  it('answers a commit of unknown outcome with 503 commit_unknown; the resend with the same ref stores the message once', async () => {
    const message = { to: bob.username, text: 'lost-answer hello', ref: 'r-lost-1' };
    const first = await send(alice, message);
    expect(first.status).to.equal(503);
    expect(first.body.error.code).to.equal('commit_unknown');
    expect(first.body.error.message).to.match(/ref/);
    expect(first.headers.get('retry-after')).to.equal('1');

    // Here the first attempt was in fact stored: the resend finds it by its ref and stores nothing new.
    const resend = await send(alice, { ...message, text: 'hello' });
    expect(resend.status).to.equal(201);
    const history = await conversation();
    expect(history.messages.filter((m: { text: string }) => m.text === 'lost-answer hello')).to.have.length(1);
    expect(resend.body.id).to.equal(history.messages.find((m: { text: string }) => m.text === 'lost-answer hello').id);
  });

  it('answers an event too large to store with 413 event_too_large over HTTP, storing nothing', async () => {
    const reply = await send(alice, { to: bob.username, text: 'oversized', ref: 'r-big-1' });
    expect(reply.status).to.equal(413);
    expect(reply.body.error.code).to.equal('event_too_large');
    expect((await conversation()).messages.some((m: { text: string }) => m.text === 'oversized')).to.equal(false);
  });

  it('answers both on the socket with an error frame carrying the ref, and the socket carries on', async () => {
    const socket: ChatClient = await connect(server.url, alice.access_token);
    try {
      socket.send({ type: 'pm', to: bob.username, text: 'oversized', ref: 'ws-big' });
      expect(await socket.next((f) => f.type === 'error' && f.ref === 'ws-big', 'the too-large error')).to.include({
        code: 'event_too_large',
      });
      socket.send({ type: 'pm', to: bob.username, text: 'lost-answer on the socket', ref: 'ws-lost' });
      expect(
        await socket.next((f) => f.type === 'error' && f.ref === 'ws-lost', 'the commit-unknown error'),
      ).to.include({ code: 'commit_unknown' });
      socket.send({ type: 'pm', to: bob.username, text: 'fine', ref: 'ws-fine' });
      expect(await socket.next((f) => f.type === 'ack' && f.ref === 'ws-fine', 'the ack')).to.have.property('id');
    } finally {
      await socket.close();
    }
  });

  it("reports in /readyz whether other instances' events arrive pushed or by polling, without the error, and stays ready", async () => {
    const pushed = await api.get('/readyz');
    expect(pushed.status).to.equal(200);
    expect(pushed.body.feed).to.deep.equal({ mode: 'push' });

    feed.status = { mode: 'polling', since: '2026-01-01T00:00:00.000Z', error: 'connection to 10.0.0.7:27017 closed' };
    const polling = await api.get('/readyz');
    expect(polling.status).to.equal(200);
    expect(polling.body.feed).to.deep.equal({ mode: 'polling', since: '2026-01-01T00:00:00.000Z' });
    expect(JSON.stringify(polling.body)).not.to.include('10.0.0.7');
    feed.status = { mode: 'push' };
  });
});
