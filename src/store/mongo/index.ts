import { MongoClient, MongoServerSelectionError, type MongoClientOptions } from 'mongodb';
import { RateLimiterMongo } from 'rate-limiter-flexible';
import type { Engine } from '../ports';
import { MongoEventStore } from './event-store';
import { MongoLeaseStore } from './leases';
import { MongoPictureStore } from './pictures';
import { MongoReadModels } from './read-models';
import { ensureSchema, RATE_LIMITS } from './schema';

export interface MongoOptions {
  url: string;
  db: string;
  /** How often an idle subscription reads the log in case the change stream missed something. */
  pollIntervalMs?: number;
}

/**
 * Fails fast when the server cannot be found, keeps writes acknowledged by a majority, and never
 * turns an undefined field into null (so documents read back as the JSON they were written as).
 */
const CLIENT_OPTIONS: MongoClientOptions = {
  appName: 'parley',
  serverSelectionTimeoutMS: 10_000,
  connectTimeoutMS: 10_000,
  socketTimeoutMS: 0,
  maxPoolSize: 50,
  maxIdleTimeMS: 60_000,
  retryWrites: true,
  retryReads: true,
  writeConcern: { w: 'majority' },
  ignoreUndefined: true,
};

const REPLICA_SET_HELP = 'parley needs a MongoDB replica set (transactions and change streams do not exist on a standalone mongod). '
  + 'A single-node one is enough: start mongod with --replSet rs0 and run rs.initiate() once in mongosh '
  + '(or use `docker compose up`, which does both), then add ?replicaSet=rs0 to MONGO_URL.';

/** The production engine: events, read models, pictures and rate limits in one MongoDB database. */
export async function openMongoEngine(options: MongoOptions): Promise<Engine> {
  const client = new MongoClient(options.url, CLIENT_OPTIONS);
  try {
    await client.connect();
    await requireReplicaSet(client);
    const db = client.db(options.db);
    await ensureSchema(db);
    const events = new MongoEventStore(client, db, { pollIntervalMs: options.pollIntervalMs ?? 1_000 });
    await events.start();
    return {
      name: 'mongo',
      events,
      readModels: new MongoReadModels(client, db),
      pictures: new MongoPictureStore(db),
      leases: new MongoLeaseStore(db),
      createRateLimiter: (limits) => new RateLimiterMongo({
        storeClient: client, dbName: options.db, tableName: RATE_LIMITS, disableIndexesCreation: true, ...limits,
      }),
      async close() {
        await events.close();
        await client.close();
      },
    };
  } catch (error) {
    await client.close().catch(() => {});
    if (error instanceof MongoServerSelectionError) {
      throw new Error(`cannot reach a MongoDB primary at ${redact(options.url)} (${error.message}). `
        + 'Is mongod running? If it was started with --replSet, has rs.initiate() been run?');
    }
    throw error;
  }
}

async function requireReplicaSet(client: MongoClient): Promise<void> {
  const hello = await client.db('admin').command({ hello: 1 });
  // A mongos (msg 'isdbgrid') fronts a sharded cluster, whose shards are replica sets.
  if (!hello.setName && hello.msg !== 'isdbgrid') throw new Error(`MongoDB is a standalone server. ${REPLICA_SET_HELP}`);
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
