import type Database from 'better-sqlite3';
import { RateLimiterSQLite, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateLimitOptions } from '../ports';

/** Rate-limit counters in the engine's own database file (table rate_limits). */
export function createSqliteRateLimiter(db: Database.Database, options: RateLimitOptions): RateLimiterAbstract {
  return new RateLimiterSQLite({
    storeClient: db, storeType: 'better-sqlite3', tableName: 'rate_limits', clearExpiredByTimeout: true, ...options,
  });
}
