import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';

/** How often the WAL is copied back into the database file. */
const INTERVAL_MS = 250;

// Plain JavaScript run in a worker thread, with its own connection to the same file.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 1000');
db.pragma('synchronous = NORMAL');
const timer = setInterval(() => {
  // PASSIVE never waits for readers or writers; what it cannot copy now it copies next time.
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (error) { if (error.code !== 'SQLITE_BUSY') throw error; }
}, workerData.intervalMs);
parentPort.on('message', () => { clearInterval(timer); db.close(); parentPort.close(); });
`;

/**
 * SQLite normally checkpoints inside whichever commit crosses the WAL's size threshold, with two
 * fsyncs, on the event loop. Here the connections in the event loop never checkpoint; a worker
 * thread does it every INTERVAL_MS (synchronous=NORMAL: WAL synced before, database after). Should
 * the worker die, the connections go back to checkpointing themselves.
 */
export class WalCheckpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;

  constructor(
    file: string,
    private readonly connections: Database.Database[],
    log?: Logger,
  ) {
    for (const db of connections) db.pragma('wal_autocheckpoint = 0');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { file, driver: require.resolve('better-sqlite3'), intervalMs: INTERVAL_MS },
    });
    this.worker.unref();
    this.worker.on('error', (error) => {
      log?.error({ err: error }, 'WAL checkpointer failed; connections checkpoint themselves again');
      this.fallBack();
    });
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
  }

  private fallBack(): void {
    for (const db of this.connections) if (db.open) db.pragma('wal_autocheckpoint = 1000');
  }

  async close(): Promise<void> {
    // Unreferenced, the worker would let the process end while we wait for it.
    this.worker.ref();
    this.worker.postMessage('close');
    await this.exited;
  }
}
