import { MongoClient, MongoServerSelectionError, type MongoClientOptions } from 'mongodb';
import type { Logger } from 'pino';
import { RateLimiterMongo } from 'rate-limiter-flexible';
import type { Engine } from '../ports';
import { MongoEventStore } from './event-store';
import { MongoPrivacyStore } from './data-keys';
import { MongoLeaseStore } from './leases';
import { MongoPictureStore } from './pictures';
import { MongoReadModels } from './read-models';
import { ensureSchema, RATE_LIMITS } from './schema';

export interface MongoOptions {
  url: string;
  db: string;
  /** How often an idle subscription reads the log in case the change stream missed something. */
  pollIntervalMs?: number;
  /** Where the engine reports failures it recovers from on its own (the change feed's). */
  log?: Logger;
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

/**
 * Written for both ways of configuring: MONGO_HOST/MONGO_PORT cannot carry connection options, so
 * anything that needs one (directConnection) points to MONGO_URL, which replaces them.
 */
export const REPLICA_SET_HELP =
  'parley needs a MongoDB replica set ' +
  '(transactions and change streams do not exist on a standalone mongod). ' +
  'A single-node one is enough: start mongod with --replSet rs0 and run rs.initiate() once in mongosh ' +
  '(or use `docker compose up`, which does both); ' +
  'the driver then finds the set from MONGO_HOST or MONGO_URL as they are.';

export const UNREACHABLE_HELP =
  'Is mongod running? If it was started with --replSet, has rs.initiate() been run? ' +
  'If this machine cannot reach the members under the names the replica set was initiated with (say mongo:27017 ' +
  'inside docker), connect to one member directly: MONGO_URL=mongodb://<host>:<port>/?directConnection=true ' +
  '(MONGO_URL replaces MONGO_HOST/MONGO_PORT, which cannot carry that option).';

/** The production engine: events, read models, pictures and rate limits in one MongoDB database. */
export async function openMongoEngine(options: MongoOptions): Promise<Engine> {
  const client = new MongoClient(options.url, CLIENT_OPTIONS);
  try {
    await client.connect();
    await requireReplicaSet(client);
    const db = client.db(options.db);
    await ensureSchema(db);
    const events = new MongoEventStore(client, db, {
      pollIntervalMs: options.pollIntervalMs ?? 1_000,
      log: options.log,
    });
    await events.start();
    return {
      name: 'mongo',
      events,
      readModels: new MongoReadModels(client, db),
      pictures: new MongoPictureStore(db),
      privacy: new MongoPrivacyStore(client, db),
      leases: new MongoLeaseStore(db),
      createRateLimiter: (limits) =>
        new RateLimiterMongo({
          storeClient: client,
          dbName: options.db,
          tableName: RATE_LIMITS,
          disableIndexesCreation: true,
          ...limits,
        }),
      async close() {
        await events.close();
        await client.close();
      },
    };
  } catch (error) {
    await client.close().catch(() => {});
    if (error instanceof MongoServerSelectionError) {
      throw new Error(
        `cannot reach a MongoDB primary at ${redact(options.url)} (${error.message}). ` + UNREACHABLE_HELP,
      );
    }
    throw error;
  }
}

async function requireReplicaSet(client: MongoClient): Promise<void> {
  const hello = await client.db('admin').command({ hello: 1 });
  // A mongos (msg 'isdbgrid') fronts a sharded cluster, whose shards are replica sets.
  if (!hello.setName && hello.msg !== 'isdbgrid')
    throw new Error(`MongoDB is a standalone server. ${REPLICA_SET_HELP}`);
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
