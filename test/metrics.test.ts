import { expect } from 'chai';
import { Registry } from 'prom-client';
import { registerChatMetrics, type ChatStats } from '../src/metrics';
import { PROJECTIONS } from '../src/projections';
import { client, registerAndLogin, uniqueName, type Client } from './helpers/http';
import { parseMetrics, samples, value, type Sample } from './helpers/prometheus';
import { startTestServer, type TestServer } from './helpers/server';
import { connectWithHistory, TEST_LIMITS } from './helpers/ws';

describe('metrics: GET /metrics', () => {
  let server: TestServer;
  let api: Client;
  const scrape = async (): Promise<Sample[]> => {
    const reply = await api.get('/metrics');
    expect(reply.status).to.equal(200);
    return parseMetrics(reply.body);
  };

  before(async () => {
    server = await startTestServer(TEST_LIMITS);
    api = client(server.url);
  });
  after(async () => {
    await server.stop();
  });

  it('answers in the Prometheus text format, uncached', async () => {
    const reply = await api.get('/metrics');
    expect(reply.status).to.equal(200);
    expect(reply.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
    expect(reply.headers.get('cache-control')).to.equal('no-store');
    expect(reply.body).to.include('# TYPE parley_http_request_duration_seconds histogram');
    expect(() => parseMetrics(reply.body)).not.to.throw();
  });

  it('times requests by route template and status, never by raw path', async () => {
    const names = [uniqueName('metrics'), uniqueName('metrics')];
    await registerAndLogin(api, names[0]);
    for (const name of names) await api.get(`/users/${name}`);
    await api.get('/no/such/path/12345');
    await api.get('/docs/init.js');

    const all = await scrape();
    const template = { method: 'GET', route: '/users/{username}' };
    expect(value(all, 'parley_http_request_duration_seconds_count', { ...template, status: '200' })).to.equal(1);
    expect(value(all, 'parley_http_request_duration_seconds_count', { ...template, status: '404' })).to.equal(1);
    expect(
      value(all, 'parley_http_request_duration_seconds_count', {
        method: 'POST',
        route: '/users/create',
        status: '201',
      }),
    ).to.equal(1);
    expect(
      value(all, 'parley_http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status: '404' }),
    ).to.be.at.least(1);
    expect(
      value(all, 'parley_http_request_duration_seconds_count', {
        method: 'GET',
        route: '/docs/{asset}',
        status: '200',
      }),
    ).to.equal(1);
    const routes = new Set(samples(all, 'parley_http_request_duration_seconds_count').map((s) => s.labels.route));
    for (const route of routes) expect(route).not.to.match(/metrics\d|12345/);
  });

  it('counts messages by kind and measures event appends', async () => {
    const before = await scrape();
    const alice = await registerAndLogin(api);
    const bob = await registerAndLogin(api);
    expect(
      (await api.post('/messenger/messages', { token: alice.access_token, json: { text: `/pm ${bob.username} hi` } }))
        .status,
    ).to.equal(201);
    expect(
      (await api.post('/messenger/messages', { token: alice.access_token, json: { text: 'hello, all' } })).status,
    ).to.equal(201);
    expect(
      (await api.post('/messenger/messages', { token: bob.access_token, json: { text: 'hi alice' } })).status,
    ).to.equal(201);

    const after = await scrape();
    const grew = (name: string, labels: Record<string, string>) =>
      value(after, name, labels) - value(before, name, labels);
    expect(grew('parley_messages_total', { kind: 'pm' })).to.equal(1);
    expect(grew('parley_messages_total', { kind: 'chat' })).to.equal(2);
    expect(value(after, 'parley_events_appended_total', { type: 'MessageSent' })).to.equal(1);
    expect(value(after, 'parley_events_appended_total', { type: 'ChatMessagePosted' })).to.equal(2);
    // At least one append per registration, login and message.
    expect(grew('parley_event_append_duration_seconds_count', { result: 'ok' })).to.be.at.least(7);
    expect(value(after, 'parley_event_append_duration_seconds_bucket', { result: 'ok', le: '+Inf' })).to.equal(
      value(after, 'parley_event_append_duration_seconds_count', { result: 'ok' }),
    );
  });

  it("reports each projection's lag against the head of the log", async () => {
    const user = await registerAndLogin(api);
    await api.post('/messenger/messages', { token: user.access_token, json: { text: 'lag check' } });
    const head = await server.parley.engine.events.headPosition();
    const all = await scrape();
    expect(value(all, 'parley_event_log_head_position')).to.equal(head);
    for (const { name } of PROJECTIONS) {
      const labels = { projection: name };
      // The message route waits until every projection applied the message, and nothing else writes.
      expect(value(all, 'parley_projection_lag_events', labels)).to.equal(0);
      expect(value(all, 'parley_projection_position', labels)).to.equal(head);
      expect(value(all, 'parley_projection_live', labels)).to.equal(1);
      expect(value(all, 'parley_projection_failing', labels)).to.equal(0);
    }
  });

  it('reports event-loop delay and process metrics', async () => {
    const all = await scrape();
    for (const name of [
      'nodejs_eventloop_lag_seconds',
      'nodejs_eventloop_lag_p99_seconds',
      'process_resident_memory_bytes',
    ]) {
      expect(samples(all, name), name).to.have.length(1);
      expect(value(all, name)).to.be.at.least(0);
    }
  });

  it('counts WebSocket connections and frames both ways', async () => {
    const user = await registerAndLogin(api);
    const before = await scrape();
    const { client: chat } = await connectWithHistory(server.url, user.access_token);
    try {
      chat.send('hello from a socket');
      await chat.nextOfType('chat');
      const during = await scrape();
      expect(value(during, 'parley_ws_connections')).to.equal(value(before, 'parley_ws_connections') + 1);
      expect(value(during, 'parley_ws_users')).to.be.at.least(1);
      const frames = (all: Sample[], direction: string) => value(all, 'parley_ws_frames_total', { direction });
      expect(frames(during, 'in') - frames(before, 'in')).to.equal(1);
      // At least the history frame and the chat message itself.
      expect(frames(during, 'out') - frames(before, 'out')).to.be.at.least(2);
      expect(
        value(during, 'parley_messages_total', { kind: 'chat' }) -
          value(before, 'parley_messages_total', { kind: 'chat' }),
      ).to.equal(1);
    } finally {
      await chat.close();
    }
  });
});

describe('metrics: METRICS_TOKEN', () => {
  const token = 'metrics-token-for-tests-0123456789';
  let server: TestServer;
  let api: Client;
  before(async () => {
    server = await startTestServer({ METRICS_TOKEN: token });
    api = client(server.url);
  });
  after(async () => {
    await server.stop();
  });

  it('refuses a scrape without the token, or with another one, in the one error shape', async () => {
    for (const headers of [
      {},
      { authorization: 'Bearer not-the-token' },
      { authorization: token },
      { authorization: `Basic ${token}` },
    ]) {
      const reply = await api.get('/metrics', { headers });
      expect(reply.status, JSON.stringify(headers)).to.equal(401);
      expect(reply.body.error.code).to.equal('not_authenticated');
      expect(reply.headers.get('www-authenticate')).to.equal('Bearer realm="metrics"');
      expect(JSON.stringify(reply.body)).not.to.include(token);
    }
  });

  it('answers with the token; a user access token is not enough', async () => {
    expect((await api.get('/metrics', { token })).status).to.equal(200);
    const user = await registerAndLogin(api);
    expect((await api.get('/metrics', { token: user.access_token })).status).to.equal(401);
  });

  it('leaves the other operations endpoints open', async () => {
    expect((await api.get('/healthz')).status).to.equal(200);
    expect((await api.get('/readyz')).status).to.equal(200);
  });
});

describe('metrics: chat counters mirrored from the WebSocket server', () => {
  const stats = (over: Partial<ChatStats> = {}): ChatStats => ({
    connections: 0,
    users: 0,
    frames_in: 0,
    frames_out: 0,
    errors_out: 0,
    rate_limited: 0,
    upgrades_refused: 0,
    closed_slow_reader: 0,
    closed_dead_peer: 0,
    closed_token_expired: 0,
    closed_session_revoked: 0,
    feed_position: 0,
    ...over,
  });

  it('adds what each total grew by between scrapes, and starts again from a total that went down', async () => {
    const registry = new Registry();
    let current: ChatStats | null = null;
    registerChatMetrics(registry, () => current);
    const read = async () => parseMetrics(await registry.metrics());

    let all = await read();
    expect(value(all, 'parley_ws_frames_total', { direction: 'in' })).to.equal(0);
    expect(value(all, 'parley_ws_connections')).to.equal(0);

    current = stats({ connections: 3, frames_in: 10, frames_out: 25, closed_dead_peer: 2 });
    all = await read();
    expect(value(all, 'parley_ws_connections')).to.equal(3);
    expect(value(all, 'parley_ws_frames_total', { direction: 'in' })).to.equal(10);
    expect(value(all, 'parley_ws_frames_total', { direction: 'out' })).to.equal(25);
    expect(value(all, 'parley_ws_closed_by_server_total', { reason: 'dead_peer' })).to.equal(2);
    expect(value(all, 'parley_ws_closed_by_server_total', { reason: 'slow_reader' })).to.equal(0);

    current = stats({ connections: 1, frames_in: 4, frames_out: 30 });
    all = await read();
    expect(value(all, 'parley_ws_connections')).to.equal(1);
    expect(value(all, 'parley_ws_frames_total', { direction: 'in' }), 'a lower total is a new baseline').to.equal(10);
    expect(value(all, 'parley_ws_frames_total', { direction: 'out' })).to.equal(30);

    current = stats({ frames_in: 6, frames_out: 30 });
    all = await read();
    expect(value(all, 'parley_ws_frames_total', { direction: 'in' })).to.equal(12);
  });
});
