import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { chatStream } from '../src/events';
import { READY_MAX_LAG } from '../src/http/routes/ops';
import { PROJECTIONS } from '../src/projections';
import { openSqliteEngine, sqliteFileIn } from '../src/store/sqlite';
import type { Engine } from '../src/store/ports';
import type { ReadModelStore } from '../src/store/read-models';
import { client, registerAndLogin, type Client } from './helpers/http';
import { parseMetrics, value } from './helpers/prometheus';
import { startTestServer, tempDataDir, type TestServer } from './helpers/server';
import { useServer } from './helpers/suite';

/** Faults a test can switch on and off in a real engine. */
interface Faults {
  /** This projection's read-model writes fail. */
  failProjection: string | null;
  /** The event store's head look-up fails, or never answers. */
  store: 'reject' | 'hang' | null;
  /** This projection's read-model writes wait for `hold`. */
  holdProjection?: string;
  hold?: Promise<void>;
}

const INJECTED = 'injected read-model failure with internal details';

function faultyEngine(dataDir: string, faults: Faults): Engine {
  const engine = openSqliteEngine({ file: sqliteFileIn(dataDir) });
  const readModels = new Proxy(engine.readModels, {
    get(target, property) {
      if (property === 'apply') {
        const apply: ReadModelStore['apply'] = (projection, ...rest) => {
          if (projection === faults.failProjection) return Promise.reject(new Error(INJECTED));
          if (projection === faults.holdProjection && faults.hold)
            return faults.hold.then(() => target.apply(projection, ...rest));
          return target.apply(projection, ...rest);
        };
        return apply;
      }
      const member = Reflect.get(target, property, target);
      return typeof member === 'function' ? member.bind(target) : member;
    },
  });
  const events = new Proxy(engine.events, {
    get(target, property) {
      if (property === 'headPosition') {
        return () => {
          if (faults.store === 'reject') return Promise.reject(new Error('store unreachable'));
          if (faults.store === 'hang') return new Promise(() => {});
          return target.headPosition();
        };
      }
      const member = Reflect.get(target, property, target);
      return typeof member === 'function' ? member.bind(target) : member;
    },
  });
  return { ...engine, name: engine.name, readModels, events, close: () => engine.close() };
}

/** Asks /readyz until it gives `status`, for at most `ms` (the projection runner retries with back-off). */
async function readyzUntil(api: Client, status: number, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const reply = await api.get('/readyz');
    if (reply.status === status || Date.now() > deadline) return reply;
    await sleep(100);
  }
}

describe('operations: GET /healthz and GET /readyz', () => {
  const fixture = useServer();

  it('healthz: the process is up', async () => {
    const reply = await fixture.api.get('/healthz');
    expect(reply.status).to.equal(200);
    expect(reply.headers.get('content-type')).to.match(/^application\/json/);
    expect(reply.body).to.deep.equal({ status: 'ok' });
  });

  it('readyz: ready, with every projection live at the head of the log', async () => {
    const user = await registerAndLogin(fixture.api);
    await fixture.api.post('/messenger/messages', { token: user.access_token, json: { text: 'ready?' } });
    const head = await fixture.server.parley.engine.events.headPosition();
    const reply = await fixture.api.get('/readyz');
    expect(reply.status).to.equal(200);
    expect(reply.body.status).to.equal('ready');
    expect(reply.body.head).to.equal(head);
    expect(reply.body.projections.map((p: { name: string }) => p.name)).to.deep.equal(PROJECTIONS.map((p) => p.name));
    for (const p of reply.body.projections) {
      expect(p).to.deep.equal({
        name: p.name,
        position: head,
        lag: 0,
        live: true,
        stopped_at: null,
        lease_holder: p.lease_holder,
      });
      // The only instance applies every projection.
      expect(p.lease_holder)
        .to.be.a('string')
        .and.match(/\/\d+\//);
    }
  });

  it('both refuse other methods with 405', async () => {
    for (const path of ['/healthz', '/readyz']) {
      const reply = await fixture.api.post(path, { json: {} });
      expect(reply.status).to.equal(405);
      expect(reply.body.error.code).to.equal('method_not_allowed');
    }
  });
});

describe('operations: /readyz when something is wrong', () => {
  let server: TestServer | null = null;
  afterEach(async () => {
    await server?.stop();
    server = null;
  });

  it('is 503 while a projection is stopped on an event, names it, and is ready again once it recovers', async () => {
    // A log with a chat message in it, written through the API.
    const dataDir = tempDataDir();
    const first = await startTestServer({ DATA_DIR: dataDir }, { keepData: true });
    const user = await registerAndLogin(client(first.url));
    const sent = await client(first.url).post('/messenger/messages', {
      token: user.access_token,
      json: { text: 'this one will not project' },
    });
    expect(sent.status).to.equal(201);
    const head = await first.parley.engine.events.headPosition();
    await first.stop();

    // Reopened with the chat read model to be rebuilt, and failing: the chat projection stops on that message.
    const faults: Faults = { failProjection: 'chat', store: null };
    const engine = faultyEngine(dataDir, faults);
    await engine.readModels.reset('chat');
    server = await startTestServer({ DATA_DIR: dataDir }, { engine });
    const api = client(server.url);

    const down = await api.get('/readyz');
    expect(down.status).to.equal(503);
    expect(down.body.error.code).to.equal('not_ready');
    const chat = down.body.error.details.projections.find((p: { name: string }) => p.name === 'chat');
    expect(chat.live).to.equal(false);
    expect(chat.stopped_at).to.be.within(1, head);
    expect(chat.lag).to.be.at.least(1);
    expect(down.body.error.details.reasons).to.deep.equal([
      `projection 'chat' is stopped: it failed at log position ${chat.stopped_at} and retries (see the log)`,
    ]);
    expect(down.body.error.message).to.equal(down.body.error.details.reasons[0]);
    expect(JSON.stringify(down.body)).not.to.include(INJECTED);
    for (const other of down.body.error.details.projections.filter((p: { name: string }) => p.name !== 'chat')) {
      expect(other).to.deep.include({ live: true, lag: 0, stopped_at: null });
    }
    expect((await api.get('/healthz')).status, 'the process itself is fine').to.equal(200);

    const metrics = parseMetrics((await api.get('/metrics')).body);
    expect(value(metrics, 'parley_projection_failing', { projection: 'chat' })).to.equal(1);
    expect(value(metrics, 'parley_projection_failing', { projection: 'users' })).to.equal(0);
    expect(value(metrics, 'parley_projection_lag_events', { projection: 'chat' })).to.equal(chat.lag);

    faults.failProjection = null;
    const up = await readyzUntil(api, 200);
    expect(up.status, JSON.stringify(up.body)).to.equal(200);
    expect(
      up.body.projections.every((p: { lag: number; stopped_at: null }) => p.lag === 0 && p.stopped_at === null),
    ).to.equal(true);
    const history = await api.get('/messenger/chat', { token: user.access_token });
    expect(history.body.messages.map((m: { text: string }) => m.text)).to.deep.equal(['this one will not project']);
  });

  for (const mode of ['reject', 'hang'] as const) {
    it(`is 503 when the event store ${mode === 'reject' ? 'fails' : 'does not answer in time'}`, async () => {
      const dataDir = tempDataDir();
      const faults: Faults = { failProjection: null, store: null };
      server = await startTestServer({ DATA_DIR: dataDir }, { engine: faultyEngine(dataDir, faults) });
      const api = client(server.url);
      expect((await api.get('/readyz')).status).to.equal(200);

      faults.store = mode;
      const down = await api.get('/readyz');
      expect(down.status).to.equal(503);
      expect(down.body.error.code).to.equal('not_ready');
      expect(down.body.error.details.reasons).to.have.length(1);
      expect(down.body.error.details.reasons[0]).to.match(/^the event store does not answer/);
      expect(down.body.error.details.head).to.equal(null);
      for (const p of down.body.error.details.projections) expect(p.lag).to.equal(null);

      faults.store = null;
      expect((await api.get('/readyz')).status).to.equal(200);
    });
  }

  it(`is 503 while a live projection trails the log by more than ${READY_MAX_LAG} events`, async () => {
    const dataDir = tempDataDir();
    let release!: () => void;
    const faults: Faults = {
      failProjection: null,
      store: null,
      holdProjection: 'chat',
      hold: new Promise<void>((resolve) => {
        release = resolve;
      }),
    };
    server = await startTestServer({ DATA_DIR: dataDir }, { engine: faultyEngine(dataDir, faults) });
    const api = client(server.url);
    expect((await api.get('/readyz')).status).to.equal(200);

    // A burst of chat lines, appended straight to the log, that the held chat projection cannot apply yet.
    const burst = Array.from({ length: READY_MAX_LAG + 1 }, (_, i) => {
      const message_id = randomUUID();
      return {
        stream: chatStream(message_id),
        expectedVersion: 0,
        events: [
          { type: 'ChatMessagePosted' as const, data: { message_id, from_id: 'u1', from: 'loud', text: `line ${i}` } },
        ],
      };
    });
    const { position } = await server.parley.engine.events.append(burst, {
      time: new Date().toISOString(),
      metadata: { correlation_id: 'burst', causation_id: 'burst' },
    });

    const behind = await api.get('/readyz');
    expect(behind.status).to.equal(503);
    const chat = behind.body.error.details.projections.find((p: { name: string }) => p.name === 'chat');
    expect(chat).to.include({ live: true, stopped_at: null });
    expect(chat.lag).to.be.above(READY_MAX_LAG);
    expect(behind.body.error.details.reasons).to.deep.equal([
      `projection 'chat' is ${chat.lag} events behind (more than ${READY_MAX_LAG})`,
    ]);

    release();
    const up = await readyzUntil(api, 200);
    expect(up.status, JSON.stringify(up.body)).to.equal(200);
    expect(up.body.head).to.equal(position);
  });
});
