import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { loadConfig, type MongoConfig } from '../../src/config';
import type { Engine } from '../../src/store/ports';
import { openSqliteEngine, sqliteFileIn } from '../../src/store/sqlite';
import { tempDataDir, TEST_SECRET } from './server';

/** Fresh, empty storage for one engine: open it (again, to test a restart), point a server at it, throw it away. */
export interface EngineStorage {
  /** Opens an engine on this storage. Several may be open at once, like several app instances. */
  open(): Promise<Engine>;
  /** Environment that points a server (in this process or a child one) at this storage. */
  readonly env: Record<string, string>;
  destroy(): Promise<void>;
}

export interface EngineKind {
  readonly name: 'sqlite' | 'mongo';
  storage(): EngineStorage;
}

/** Idle subscriptions look for other writers this often: short, so that tests need not wait. */
const POLL_MS = 50;

const sqlite: EngineKind = {
  name: 'sqlite',
  storage() {
    const dataDir = tempDataDir();
    return {
      env: { DATA_DIR: dataDir },
      open: async () => openSqliteEngine({ file: sqliteFileIn(dataDir), pollIntervalMs: POLL_MS }),
      destroy: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  },
};

/** MongoDB settings from the environment (MONGO_URL, or MONGO_HOST and friends), or null. */
export function mongoFromEnv(): MongoConfig | null {
  const { MONGO_URL, MONGO_HOST, MONGO_PORT, MONGO_USER, MONGO_PASS } = process.env;
  if (!MONGO_URL && !MONGO_HOST) return null;
  const env: Record<string, string> = { SECRET_KEY: TEST_SECRET, DATA_DIR: tmpdir() };
  for (const [name, value] of Object.entries({ MONGO_URL, MONGO_HOST, MONGO_PORT, MONGO_USER, MONGO_PASS })) {
    if (value) env[name] = value;
  }
  return loadConfig(env).mongo;
}

function mongo(config: MongoConfig): EngineKind {
  let count = 0;
  return {
    name: 'mongo',
    storage() {
      // A database of its own per storage, dropped afterwards.
      const db = `parley_test_${process.pid}_${++count}_${randomBytes(3).toString('hex')}`;
      // A server still wants a DATA_DIR (for nothing but its generated key, here unused).
      const dataDir = tempDataDir();
      const env: Record<string, string> = { MONGO_URL: config.url, MONGO_DB: db, DATA_DIR: dataDir };
      return {
        env,
        async open() {
          const { openMongoEngine } = await import('../../src/store/mongo/index.js');
          return openMongoEngine({ url: config.url, db, pollIntervalMs: POLL_MS });
        },
        async destroy() {
          const { MongoClient } = await import('mongodb');
          const client = new MongoClient(config.url, { serverSelectionTimeoutMS: 10_000 });
          try {
            await client.db(db).dropDatabase();
          } finally {
            await client.close();
            rmSync(dataDir, { recursive: true, force: true });
          }
        },
      };
    },
  };
}

const mongoConfig = mongoFromEnv();

/** Every engine this run can test: SQLite always, MongoDB when the environment points at one. */
export const ENGINES: readonly EngineKind[] = mongoConfig ? [sqlite, mongo(mongoConfig)] : [sqlite];

export const MONGO_KIND: EngineKind | null = mongoConfig ? ENGINES[1] : null;

if (!mongoConfig) {
  // Once per run (this module is loaded once), instead of a pending test per engine-specific case.
  console.log(
    'MongoDB half of the conformance suite skipped: set MONGO_URL (or MONGO_HOST) to a replica set to run it, e.g. `docker compose up -d mongo` then MONGO_URL=mongodb://localhost:27017/?replicaSet=rs0&directConnection=true',
  );
}

/** Declares the same tests once per available engine. */
export function forEachEngine(title: string, body: (kind: EngineKind) => void): void {
  for (const kind of ENGINES) describe(`${title} [${kind.name}]`, () => body(kind));
}

/**
 * A fresh storage and an engine open on it for each test of the enclosing describe; closed and
 * destroyed afterwards.
 */
export function useEngine(kind: EngineKind): { readonly engine: Engine; readonly storage: EngineStorage } {
  let storage: EngineStorage | undefined;
  let engine: Engine | undefined;
  const opened: Engine[] = [];
  beforeEach(async () => {
    storage = kind.storage();
    engine = await storage.open();
    opened.push(engine);
  });
  afterEach(async () => {
    for (const e of opened.splice(0)) await e.close().catch(() => {});
    await storage?.destroy();
  });
  return {
    get engine() {
      return engine!;
    },
    get storage() {
      const s = storage!;
      // Engines opened through the fixture are closed by it too.
      return {
        ...s,
        open: async () => {
          const e = await s.open();
          opened.push(e);
          return e;
        },
      };
    },
  };
}
