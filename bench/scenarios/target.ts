import { rmSync } from 'node:fs';
import { loadConfig } from '../../src/config';
import { openEngine } from '../../src/store';
import type { Engine } from '../../src/store/ports';
import { BenchChild } from '../lib/child';
import { BENCH_SECRET, ParleyServer, tempDataDir } from '../lib/server';

/** Which engine a scenario runs on: the embedded one, or MongoDB at MONGO_URL (one database per scenario). */
export interface Target {
  engine: 'sqlite' | 'mongo';
  mongoUrl?: string;
}

/** Everything a scenario needs to seed data, start a server on it and clean up afterwards. */
export interface Workspace {
  dataDir: string;
  /** Server environment selecting the engine. */
  env: Record<string, string>;
  openEngine(): Promise<Engine>;
  startServer(extraEnv?: Record<string, string>): Promise<ParleyServer>;
  cleanUp(): Promise<void>;
}

/** When set (bench --profile), servers write a V8 CPU profile here on exit (node --cpu-prof). */
export const profiling: { dir: string | null } = { dir: null };

export function workspace(target: Target, label: string): Workspace {
  const dataDir = tempDataDir(label);
  const env: Record<string, string> =
    target.engine === 'mongo' ? { MONGO_URL: target.mongoUrl!, MONGO_DB: `parley_bench_${label}_${process.pid}` } : {};
  return {
    dataDir,
    env,
    openEngine: () => openEngine(loadConfig({ ...env, DATA_DIR: dataDir, SECRET_KEY: BENCH_SECRET })),
    startServer: (extraEnv = {}) =>
      ParleyServer.start(dataDir, {
        ...env,
        ...(profiling.dir
          ? {
              NODE_EXTRA_ARGS: `--cpu-prof --cpu-prof-dir=${profiling.dir} --cpu-prof-name=${label}-${Date.now()}.cpuprofile`,
            }
          : {}),
        ...extraEnv,
      }),
    async cleanUp() {
      if (target.engine === 'mongo') await dropMongoDatabase(target.mongoUrl!, env.MONGO_DB);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The bench's own clean-up of the database it created (not product code). */
async function dropMongoDatabase(url: string, db: string): Promise<void> {
  const { MongoClient } = await import('mongodb');
  const client = new MongoClient(url);
  try {
    await client.connect();
    await client.db(db).dropDatabase();
  } finally {
    await client.close();
  }
}

/** Runs `body` with the given children and servers, and always stops them afterwards. */
export async function withProcesses<T>(
  body: (track: <P extends BenchChild | ParleyServer>(p: P) => P) => Promise<T>,
): Promise<T> {
  const started: (BenchChild | ParleyServer)[] = [];
  try {
    return await body((p) => {
      started.push(p);
      return p;
    });
  } finally {
    for (const p of started.reverse()) await p.stop().catch(() => {});
  }
}
