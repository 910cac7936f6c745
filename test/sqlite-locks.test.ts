import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { expect } from 'chai';
import type { Engine } from '../src/store/ports';
import { openSqliteEngine, sqliteFileIn } from '../src/store/sqlite';
import { tempDataDir } from './helpers/server';

/**
 * Another connection (here a worker thread: this thread blocks while SQLite waits for the lock)
 * takes the write lock, writes, holds it for `holdMs`, then commits. Resolves once it holds it.
 */
async function holdWriteLock(file: string, holdMs: number): Promise<{ released: Promise<unknown> }> {
  const worker = new Worker(
    `
    const { parentPort, workerData } = require('node:worker_threads');
    const Database = require(workerData.driver);
    const db = new Database(workerData.file);
    db.exec('BEGIN IMMEDIATE');
    // A write of its own, so that a reader that started before the commit holds a stale snapshot.
    db.prepare("INSERT OR REPLACE INTO pictures (id, content_type, bytes) VALUES ('lock-holder', 'x', x'00')").run();
    parentPort.postMessage('locked');
    setTimeout(() => { db.exec('COMMIT'); db.close(); parentPort.postMessage('released'); }, workerData.holdMs);
  `,
    { eval: true, workerData: { file, holdMs, driver: require.resolve('better-sqlite3') } },
  );
  const [message] = await once(worker, 'message');
  expect(message).to.equal('locked');
  return { released: once(worker, 'message').then(() => worker.terminate()) };
}

const meta = { metadata: { correlation_id: 'locks', causation_id: 'locks' }, time: new Date().toISOString() };

describe('SQLite: a write lock another process holds briefly', () => {
  let dataDir: string;
  let engine: Engine;

  beforeEach(() => {
    dataDir = tempDataDir();
    engine = openSqliteEngine({ file: sqliteFileIn(dataDir) });
  });
  afterEach(async () => {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const chat = (text: string) => [
    {
      stream: 'chat',
      expectedVersion: 'any' as const,
      events: [
        {
          type: 'ChatMessagePosted' as const,
          data: { message_id: crypto.randomUUID(), user_id: 'u', username: 'u', text },
        },
      ],
    },
  ];

  it('is waited for: an append during a 200 ms hold succeeds once it is released', async () => {
    await engine.events.append(chat('before'), meta);
    const { released } = await holdWriteLock(sqliteFileIn(dataDir), 200);
    // Reads the stream version, then writes: the case a deferred transaction fails with SQLITE_BUSY_SNAPSHOT.
    const result = await engine.events.append([{ ...chat('during')[0], expectedVersion: 1 }], meta);
    expect(result.position).to.equal(2);
    await released;
    expect((await engine.events.readAll(0, 10)).map((e) => e.version)).to.deep.equal([1, 2]);
  });

  it('is waited for by read-model writes and rate-limit counters too', async () => {
    const limiter = engine.createRateLimiter({ keyPrefix: 'locks', points: 10, duration: 60 });
    await limiter.consume('k');
    const { released } = await holdWriteLock(sqliteFileIn(dataDir), 200);
    await engine.readModels.apply('chat', [], 0, 1);
    const { released: again } = await holdWriteLock(sqliteFileIn(dataDir), 200);
    const res = await limiter.consume('k');
    expect(res.consumedPoints).to.equal(2);
    await Promise.all([released, again]);
    expect(await engine.readModels.checkpoint('chat')).to.equal(1);
  });
});
