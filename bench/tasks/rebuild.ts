/**
 * Rebuild speed, in a process of its own: writes a log of N events (registrations, sessions and
 * mostly private messages, as the deciders make them), then in the same run
 *   1. a plain scan: every row of the events table read in position order, nothing decoded
 *      (SQLite: one SELECT iterated; MongoDB: one sorted cursor) — the baseline;
 *   2. parley's rebuild of every projection (rebuildProjections, what `parley rebuild` runs),
 *      from position 0 into shadow read models, promoted at the end;
 *   3. the plain scan again; the baseline is the mean of both scans.
 * It also times scanLog (the log read through the event store: rows decoded and upcast, nothing
 * applied) to show how the rebuild's time splits between reading and applying.
 * The measured code is the compiled product in dist/, as the CLI runs it.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { DomainError } from '../../src/commands/decider';
import { messageDecider } from '../../src/commands/message';
import { sessionDecider } from '../../src/commands/session';
import { DEFAULT_SETTINGS, userDecider } from '../../src/commands/user';
import { streamOf, type ParleyEvent } from '../../src/events';
import { CURRENT_SCHEMA_VERSION, type RawEvent } from '../../src/events/upcasters';
import { messageText, usernameFor } from '../lib/seed';
import { ROOT } from '../lib/server';
import { prng, round } from '../lib/stats';

type DistConfig = typeof import('../../src/config');
type DistStore = typeof import('../../src/store');
type DistRebuild = typeof import('../../src/projections/rebuild');
const dist = <T>(module: string): T => require(path.join(ROOT, 'dist', module)) as T;

export interface RebuildCommand {
  events: number;
  dataDir: string;
  env: Record<string, string>;
  batchSize?: number;
}

export interface RebuildTaskResult {
  events: number;
  events_per_s: number;
  seconds: number;
  baseline_scan_rows_per_s: number;
  scan_runs_rows_per_s: number[];
  ratio: number;
  /** The log read and decoded by the event store (no read-model writes). */
  decoded_read_events_per_s: number;
  seed_s: number;
  db_mib: number | null;
}

function* generateLog(total: number): Generator<RawEvent> {
  const random = prng(21);
  const users = Array.from({ length: Math.min(5000, Math.max(10, Math.floor(total / 200))) }, (_, i) => ({
    id: randomUUID(),
    name: usernameFor(i, random),
  }));
  let position = 0;
  const time = new Date().toISOString();
  const metadata = { correlation_id: 'bench-rebuild', causation_id: 'bench' };
  const raw = (events: ParleyEvent[] | DomainError): RawEvent[] => {
    if (events instanceof DomainError) throw events;
    const versions = new Map<string, number>();
    return events.map((e) => {
      const stream = streamOf(e);
      const version = (versions.get(stream) ?? 0) + 1;
      versions.set(stream, version);
      return {
        id: randomUUID(),
        position: ++position,
        stream,
        version,
        type: e.type,
        time,
        metadata,
        data: e.data as unknown as Record<string, unknown>,
        schema_version: CURRENT_SCHEMA_VERSION[e.type],
      };
    });
  };
  for (const u of users) {
    if (position >= total) return;
    yield* raw(
      userDecider.decide(
        {
          type: 'RegisterUser',
          user_id: u.id,
          username: u.name,
          password_hash: '$argon2id$bench',
          email: `${u.name}@bench.test`,
          first_name: null,
          last_name: null,
          phone: null,
        },
        userDecider.initialState(),
      ),
    );
    yield* raw(
      sessionDecider.decide(
        {
          type: 'StartSession',
          session_id: randomUUID(),
          user_id: u.id,
          username: u.name,
          refresh_id: randomUUID(),
          expires_at: time,
        },
        sessionDecider.initialState(),
      ),
    );
  }
  while (position < total) {
    const from = users[Math.floor(random() * users.length)];
    let to = users[Math.floor(random() * users.length)];
    if (to === from) to = users[(users.indexOf(from) + 1) % users.length]!;
    yield* raw(
      messageDecider.decide(
        {
          type: 'SendPrivateMessage',
          message_id: randomUUID(),
          from_id: from.id,
          from: from.name,
          to_id: to.id,
          text: messageText(100, random),
        },
        {
          recipient: {
            id: to.id,
            username: to.name,
            email: '',
            first_name: null,
            last_name: null,
            phone: null,
            password_hash: '',
            settings: DEFAULT_SETTINGS,
            picture: null,
          },
          existing: null,
        },
      ),
    );
  }
}

async function plainScan(c: RebuildCommand, sqliteFile: string | null): Promise<number> {
  const started = performance.now();
  let rows = 0;
  let bytes = 0;
  if (sqliteFile) {
    const db = new Database(sqliteFile, { readonly: true });
    for (const row of db.prepare('SELECT * FROM events ORDER BY position').iterate() as IterableIterator<{
      data: string;
    }>) {
      rows++;
      bytes += row.data.length;
    }
    db.close();
  } else {
    const { MongoClient } = await import('mongodb');
    const client = new MongoClient(c.env.MONGO_URL);
    await client.connect();
    for await (const doc of client.db(c.env.MONGO_DB).collection('events').find({}).sort({ position: 1 })) {
      rows++;
      bytes += doc._id ? 1 : 0;
    }
    await client.close();
  }
  if (bytes < 0) throw new Error('unreachable');
  return rows / ((performance.now() - started) / 1000);
}

async function run(c: RebuildCommand): Promise<RebuildTaskResult> {
  const { loadConfig } = dist<DistConfig>('config/index.js');
  const { openEngine } = dist<DistStore>('store/index.js');
  const { rebuildProjections, selectProjections, scanLog } = dist<DistRebuild>('projections/rebuild.js');
  const config = loadConfig({ ...c.env, DATA_DIR: c.dataDir, SECRET_KEY: 'x'.repeat(64) });
  const sqliteFile = config.mongo ? null : path.join(c.dataDir, 'parley.db');

  let t = performance.now();
  let engine = await openEngine(config);
  if (!engine.events.importEvents) throw new Error(`the ${engine.name} engine has no importEvents`);
  let chunk: RawEvent[] = [];
  for (const e of generateLog(c.events)) {
    chunk.push(e);
    if (chunk.length === 20_000) {
      await engine.events.importEvents(chunk);
      chunk = [];
    }
  }
  if (chunk.length > 0) await engine.events.importEvents(chunk);
  await engine.close();
  const seedS = (performance.now() - t) / 1000;

  const scans = [await plainScan(c, sqliteFile)];
  engine = await openEngine(config);
  const decoded = await scanLog(engine.events, c.batchSize);
  const rebuilt = await rebuildProjections(engine, selectProjections([]), { batchSize: c.batchSize });
  await engine.close();
  scans.push(await plainScan(c, sqliteFile));

  const eventsPerS = rebuilt.events / rebuilt.seconds;
  const baseline = scans.reduce((a, b) => a + b, 0) / scans.length;
  let dbMib: number | null = null;
  if (sqliteFile) {
    const { statSync } = await import('node:fs');
    dbMib = round(statSync(sqliteFile).size / 2 ** 20, 1);
  }
  t = performance.now();
  return {
    events: rebuilt.events,
    events_per_s: Math.round(eventsPerS),
    seconds: round(rebuilt.seconds, 2),
    baseline_scan_rows_per_s: Math.round(baseline),
    scan_runs_rows_per_s: scans.map((s) => Math.round(s)),
    ratio: round(eventsPerS / baseline),
    decoded_read_events_per_s: Math.round(decoded.events / decoded.seconds),
    seed_s: round(seedS, 1),
    db_mib: dbMib,
  };
}

process.on('message', async (msg: RebuildCommand) => {
  try {
    process.send!({ ok: true, result: await run(msg) });
  } catch (error) {
    process.send!({ ok: false, error: (error as Error).stack ?? String(error) });
  }
});
process.on('disconnect', () => process.exit(0));
