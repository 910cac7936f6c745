import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Engine } from '../ports';
import { SqliteEventStore } from './event-store';
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
 * The embedded engine: one SQLite file. Events and pictures go through a connection that syncs each
 * commit; read models through a second one that does not (they are rebuilt from events anyway).
 */
export function openSqliteEngine(options: SqliteOptions): Engine {
  const inMemory = options.file === ':memory:';
  if (!inMemory) mkdirSync(path.dirname(options.file), { recursive: true });
  const eventsDb = new Database(options.file);
  configure(eventsDb, 'FULL');
  migrate(eventsDb);
  const readModelsDb = inMemory ? eventsDb : new Database(options.file);
  if (!inMemory) configure(readModelsDb, 'NORMAL');

  const events = new SqliteEventStore(eventsDb, options.pollIntervalMs);
  return {
    name: 'sqlite',
    events,
    readModels: new SqliteReadModels(readModelsDb),
    pictures: new SqlitePictureStore(eventsDb),
    createRateLimiter: (limits) => createSqliteRateLimiter(readModelsDb, limits),
    async close() {
      await events.close();
      if (readModelsDb !== eventsDb) readModelsDb.close();
      eventsDb.close();
    },
  };
}
