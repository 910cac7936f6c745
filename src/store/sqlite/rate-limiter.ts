import type Database from 'better-sqlite3';
import { RateLimiterSQLite, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateLimitOptions } from '../ports';

const TABLE = 'rate_limits';
/** Expired counters are deleted this often, and only once they are an hour old (as the library would). */
const SWEEP_INTERVAL_MS = 5 * 60_000;
const SWEEP_AGE_MS = 60 * 60_000;

const swept = new WeakSet<Database.Database>();

/**
 * One sweeper per database instead of the library's clearExpiredByTimeout: that one's timer would run
 * on after the engine closed the database (and its failure would be an unhandled rejection). This one
 * never keeps the process alive and stops itself once the database is closed.
 */
function sweepExpired(db: Database.Database): void {
  if (swept.has(db)) return;
  swept.add(db);
  const remove = db.prepare(`DELETE FROM ${TABLE} WHERE expire < ?`);
  const sweep = () => {
    if (!db.open) {
      clearInterval(timer);
      return;
    }
    try {
      remove.run(Date.now() - SWEEP_AGE_MS);
    } catch {
      // Busy or closing: the next sweep gets it; expired rows are ignored by the limiter anyway.
    }
  };
  const timer = setInterval(sweep, SWEEP_INTERVAL_MS);
  timer.unref();
  sweep();
}

/**
 * The database as the library sees it: its counter upserts run in `db.transaction(fn)()`, which
 * begins DEFERRED; here they begin IMMEDIATE, like every other write transaction of the engine.
 */
function withImmediateTransactions(db: Database.Database): Database.Database {
  return new Proxy(db, {
    get(target, property) {
      if (property === 'transaction') {
        return (fn: (...args: unknown[]) => unknown) => {
          const tx = target.transaction(fn);
          return (...args: unknown[]) => tx.immediate(...args);
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Rate-limit counters in the engine's own database file (table rate_limits), shared by every process using it. */
export function createSqliteRateLimiter(db: Database.Database, options: RateLimitOptions): RateLimiterAbstract {
  // Created here, synchronously: the library creates it asynchronously and refuses to count until then.
  db.prepare(
    `CREATE TABLE IF NOT EXISTS ${TABLE} (key TEXT PRIMARY KEY, points INTEGER NOT NULL DEFAULT 0, expire INTEGER)`,
  ).run();
  sweepExpired(db);
  return new RateLimiterSQLite({
    storeClient: withImmediateTransactions(db),
    storeType: 'better-sqlite3',
    tableName: TABLE,
    tableCreated: true,
    clearExpiredByTimeout: false,
    ...options,
  });
}
