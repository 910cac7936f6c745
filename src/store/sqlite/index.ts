import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Engine } from '../ports';
import { WalCheckpointer } from './checkpointer';
import { SqlitePrivacyStore } from './data-keys';
import { SqliteEventStore } from './event-store';
import { SqliteLeaseStore } from './leases';
import { SqlitePictureStore } from './pictures';
import { createSqliteRateLimiter } from './rate-limiter';
import { SqliteReadModels } from './read-models';
import { configure, migrate } from './schema';

export interface SqliteOptions {
  /** A file path, or ':memory:' for a throw-away engine. */
  file: string;
  /** How often an idle subscription looks for events appended by another process. */
  pollIntervalMs?: number;
}

export const DATABASE_FILE = 'parley.db';

export function sqliteFileIn(dataDir: string): string {
  return path.join(dataDir, DATABASE_FILE);
}

/**
 * The embedded engine: one SQLite file in WAL mode with two connections: one for events and
 * pictures, whose commits are acknowledged only after an fsync of the WAL (see WalSync), and one
 * for read models, which are rebuilt from events anyway and so are not synced per commit.
 */
export function openSqliteEngine(options: SqliteOptions): Engine {
  const inMemory = options.file === ':memory:';
  if (!inMemory) mkdirSync(path.dirname(options.file), { recursive: true });
  const eventsDb = new Database(options.file);
  configure(eventsDb);
  migrate(eventsDb);
  const readModelsDb = inMemory ? eventsDb : new Database(options.file);
  if (!inMemory) configure(readModelsDb);

  const events = new SqliteEventStore(eventsDb, options.pollIntervalMs);
  const checkpointer = inMemory ? null : new WalCheckpointer(options.file, [eventsDb, readModelsDb]);
  return {
    name: 'sqlite',
    events,
    readModels: new SqliteReadModels(readModelsDb),
    pictures: new SqlitePictureStore(eventsDb),
    privacy: new SqlitePrivacyStore(eventsDb),
    leases: new SqliteLeaseStore(readModelsDb),
    createRateLimiter: (limits) => createSqliteRateLimiter(readModelsDb, limits),
    async close() {
      await events.close();
      await checkpointer?.close();
      if (readModelsDb !== eventsDb) readModelsDb.close();
      eventsDb.close();
    },
  };
}
