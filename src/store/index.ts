import type { Config } from '../config';
import type { Engine } from './ports';
import { openSqliteEngine, sqliteFileIn } from './sqlite';

/** MongoDB when Mongo settings are given; otherwise the embedded SQLite engine in DATA_DIR. */
export async function openEngine(config: Config): Promise<Engine> {
  if (config.mongo) {
    // Loaded on demand: an embedded deployment never loads the MongoDB driver.
    const { openMongoEngine } = await import('./mongo/index.js');
    return openMongoEngine(config.mongo);
  }
  return openSqliteEngine({ file: sqliteFileIn(config.dataDir) });
}
