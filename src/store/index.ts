import type { Config } from '../config';
import type { Engine } from './ports';
import { openSqliteEngine, sqliteFileIn } from './sqlite';

/** MongoDB when Mongo settings are given; otherwise the embedded SQLite engine in DATA_DIR. */
export async function openEngine(config: Config): Promise<Engine> {
  if (config.mongo) throw new Error('MONGO_* is set, but this build has no MongoDB engine yet');
  return openSqliteEngine({ file: sqliteFileIn(config.dataDir) });
}
