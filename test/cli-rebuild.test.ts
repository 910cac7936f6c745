import { expect } from 'chai';
import { readdirSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { LIVE_LAG } from '../src/cli/status';
import type { ParleyEvent } from '../src/events';
import { PROJECTIONS } from '../src/projections';
import { openSqliteEngine, sqliteFileIn } from '../src/store/sqlite';
import { client, registerAndLogin } from './helpers/http';
import { runCli, startServerProcess, type ServerProcess } from './helpers/processes';
import { dataDirWithTraffic, inboxTexts, pm } from './helpers/traffic';
import { tempDataDir } from './helpers/server';
import { readModelContents, tableNames } from './helpers/sqlite-tables';

const ALL = PROJECTIONS.map((p) => p.name).join(', ');

describe('parley rebuild beside a running server (two processes on one database)', function () {
  this.timeout(60_000);
  let dataDir: string;
  let server: ServerProcess;
  before(async () => {
    dataDir = tempDataDir();
    server = await startServerProcess({ DATA_DIR: dataDir });
  });
  after(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('swaps in rebuilt read models while the server keeps answering, and the server follows on from the new checkpoint', async () => {
    const api = client(server.url);
    const alice = await registerAndLogin(api);
    const bob = await registerAndLogin(api);
    for (const text of ['first', 'second', 'third']) await pm(api, alice, bob, text);

    const run = await runCli(['rebuild'], { DATA_DIR: dataDir });
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stderr).to.match(new RegExp(`rebuilt ${ALL} from \\d+ events`));
    // Not a terminal: plain lines, no progress-bar escape codes.
    expect(run.stderr).not.to.include('\u001b[');
    expect(tableNames(dataDir).filter((t) => t.endsWith('__rebuild'))).to.deep.equal([]);

    // Sessions and messages from before the rebuild are still served...
    expect((await api.get('/users/me', { token: alice.access_token })).status).to.equal(200);
    expect(await inboxTexts(api, bob)).to.deep.equal(['first', 'second', 'third']);
    // ...and what happens after it reaches the swapped-in read models.
    const carol = await registerAndLogin(api);
    await pm(api, carol, bob, 'fourth');
    expect(await inboxTexts(api, bob)).to.deep.equal(['first', 'second', 'third', 'fourth']);
    const found = await api.get(`/users?search=${encodeURIComponent(carol.username)}`);
    expect(found.body.users.map((u: { username: string }) => u.username)).to.include(carol.username);

    const status = await runCli(['projections', 'status', '--json'], { DATA_DIR: dataDir });
    expect(status.code, status.stderr).to.equal(0);
    const report = JSON.parse(status.stdout);
    expect(report.projections.map((p: { name: string }) => p.name)).to.deep.equal(PROJECTIONS.map((p) => p.name));
    // The last event was a private message: the projections it changed are checkpointed at the head;
    // the others store the checkpoint of events they ignore lazily (bounded, see the runner).
    for (const p of report.projections) {
      const changed = p.name === 'inbox' || p.name === 'conversations';
      expect(p.checkpoint).to.be.at.most(report.head);
      if (changed) expect(p.checkpoint).to.equal(report.head);
      expect(p).to.deep.equal({
        name: p.name,
        checkpoint: p.checkpoint,
        lag: report.head - p.checkpoint,
        live: true,
        lease: p.lease,
      });
      // The running server holds every projection's lease.
      expect(p.lease?.holder).to.be.a('string');
    }
  });
});

describe('parley rebuild with the server stopped', function () {
  this.timeout(60_000);
  let dataDir: string;
  afterEach(() => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('rebuilds the named read models only, giving what the server had built', async () => {
    ({ dataDir } = await dataDirWithTraffic());
    const before = readModelContents(dataDir);
    const run = await runCli(['rebuild', 'inbox', 'chat'], { DATA_DIR: dataDir });
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stderr).to.match(/rebuilt inbox, chat from \d+ events/);
    expect(readModelContents(dataDir)).to.deep.equal(before);
  });

  it('fails with a clear message and a non-zero exit on an event it cannot read, leaving the old read models in place', async () => {
    ({ dataDir } = await dataDirWithTraffic());
    const db = new Database(sqliteFileIn(dataDir));
    // What a newer release might have written: a shape this one does not know.
    const { p } = db.prepare('SELECT max(position) AS p FROM events').get() as { p: number };
    db.prepare(
      `INSERT INTO events (position, id, stream, version, type, schema_version, time, data, metadata)
      VALUES (?, 'e-new', 'chat-new', 1, 'ChatMessagePosted', 99, '2030-01-01T00:00:00.000Z', '{}', '{"correlation_id":"c","causation_id":"c"}')`,
    ).run(p + 1);
    db.close();
    const before = readModelContents(dataDir);

    const run = await runCli(['rebuild'], { DATA_DIR: dataDir });
    expect(run.code).to.equal(1);
    expect(run.stderr).to.include(
      `rebuild failed: event at position ${p + 1} has unknown type or schema version: ChatMessagePosted v99`,
    );
    expect(run.stderr).to.include('the old read models are still in place');
    expect(readModelContents(dataDir)).to.deep.equal(before);
    expect(tableNames(dataDir).filter((t) => t.endsWith('__rebuild'))).to.deep.equal([]);
  });

  it('reports lag and whether each projection is live', async () => {
    ({ dataDir } = await dataDirWithTraffic());
    const engine = openSqliteEngine({ file: sqliteFileIn(dataDir) });
    const head = await engine.events.headPosition();
    // Chat lines appended while no server projects them.
    const lines = LIVE_LAG + 5;
    await Promise.all(
      Array.from({ length: lines }, (_, i) =>
        engine.events.append(
          [
            {
              stream: `chat-lag-${i}`,
              expectedVersion: 0,
              events: [
                {
                  type: 'ChatMessagePosted',
                  data: { message_id: `lag-${i}`, from_id: 'u', from: 'someone', text: `line ${i}` },
                },
              ],
            },
          ],
          { metadata: { correlation_id: 'test', causation_id: 'test' }, time: new Date().toISOString() },
        ),
      ),
    );
    await engine.close();

    const json = JSON.parse((await runCli(['projections', 'status', '--json'], { DATA_DIR: dataDir })).stdout);
    const chat = json.projections.find((p: { name: string }) => p.name === 'chat');
    const users = json.projections.find((p: { name: string }) => p.name === 'users');
    expect(json.head).to.equal(head + lines);
    expect(chat).to.deep.equal({ name: 'chat', checkpoint: head, lag: lines, live: false, lease: null });
    expect(users).to.deep.equal({ name: 'users', checkpoint: head, lag: lines, live: false, lease: null });

    const table = await runCli(['projections', 'status'], { DATA_DIR: dataDir });
    expect(table.code).to.equal(0);
    expect(table.stdout).to.include(`log head at position ${head + lines}`);
    expect(table.stdout).to.match(new RegExp(`chat\\s+${head}\\s+${lines}\\s+no`));

    expect((await runCli(['rebuild', 'chat'], { DATA_DIR: dataDir })).code).to.equal(0);
    const after = JSON.parse((await runCli(['projections', 'status', '--json'], { DATA_DIR: dataDir })).stdout);
    expect(after.projections.find((p: { name: string }) => p.name === 'chat')).to.deep.equal({
      name: 'chat',
      checkpoint: head + lines,
      lag: 0,
      live: true,
      lease: null,
    });
  });
});

describe('parley bench-rebuild', function () {
  this.timeout(60_000);

  it('measures a scan and a rebuild of the same synthetic log, leaving the configured data alone', async () => {
    const dataDir = tempDataDir();
    try {
      const run = await runCli(['bench-rebuild', '--events', '3000', '--json'], { DATA_DIR: dataDir });
      expect(run.code, run.stderr).to.equal(0);
      const m = JSON.parse(run.stdout);
      expect(m.events).to.equal(3000);
      for (const field of ['scan_events_per_s', 'rebuild_events_per_s', 'ratio', 'scan_seconds', 'rebuild_seconds'])
        expect(m[field], field).to.be.a('number').above(0);
      expect(m.ratio).to.be.closeTo(m.rebuild_events_per_s / m.scan_events_per_s, 0.01);
      expect(readdirSync(dataDir)).to.deep.equal([]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('parley command-line mistakes', () => {
  let dataDir: string;
  before(() => {
    dataDir = tempDataDir();
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  const cases: [string[], RegExp][] = [
    [['rebuild', 'users', 'nope'], /unknown projection: nope \(known: users, sessions, inbox, conversations, chat\)/],
    [['rebuild', '--batch-size', 'lots'], /--batch-size must be a positive whole number/],
    [['projections'], /unknown projections command: \(none\)/],
    [['events', 'export', '--from', '0'], /--from must be a position/],
    [['events', 'export', '--since', '3'], /Unknown option '--since'/],
    [['frobnicate'], /unknown command: frobnicate/],
  ];
  for (const [args, message] of cases) {
    it(`exits with 2 and says why: parley ${args.join(' ')}`, async () => {
      const run = await runCli(args, { DATA_DIR: dataDir });
      expect(run.code).to.equal(2);
      expect(run.stderr).to.match(message);
      expect(run.stdout).to.equal('');
    });
  }

  it('refuses an invalid configuration like the server does', async () => {
    const run = await runCli(['projections', 'status'], { DATA_DIR: dataDir, MONGO_USER: 'someone' });
    expect(run.code).to.equal(2);
    expect(run.stderr).to.include('invalid configuration: MONGO_USER: is set but MONGO_HOST is not');
  });

  it('prints its usage on help', async () => {
    const run = await runCli(['help'], { DATA_DIR: dataDir });
    expect(run.code).to.equal(0);
    for (const command of [
      'parley rebuild',
      'parley projections status',
      'parley events export',
      'parley events import',
    ])
      expect(run.stdout).to.include(command);
  });
});
