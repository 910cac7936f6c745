import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Engine } from './ports';
import { openSqliteEngine, sqliteFileIn } from './sqlite';

/** MongoDB when Mongo settings are given; otherwise the embedded SQLite engine in DATA_DIR. */
export async function openEngine(config: Config, log?: Logger): Promise<Engine> {
  if (config.mongo) {
    // Loaded on demand: an embedded deployment never loads the MongoDB driver.
    const { openMongoEngine } = await import('./mongo/index.js');
    return openMongoEngine({ ...config.mongo, log: log?.child({ component: 'mongo' }) });
  }
  return openSqliteEngine({ file: sqliteFileIn(config.dataDir) });
}
