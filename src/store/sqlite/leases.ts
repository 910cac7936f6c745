import type Database from 'better-sqlite3';
import type { Lease, LeaseStore } from '../ports';

interface LeaseRow {
  projection: string;
  holder: string;
  expires_at: number;
}

/**
 * Leases as rows of projection_leases. Every process on the file shares one clock (the machine's),
 * so expiry times are plain epoch milliseconds. Each call is one statement, so one short write.
 */
export class SqliteLeaseStore implements LeaseStore {
  private readonly take;
  private readonly drop;
  private readonly all;

  constructor(db: Database.Database) {
    // Taken when absent, expired or already ours; otherwise the WHERE leaves the row alone (0 changes).
    this.take = db.prepare<
      [string, string, number, number]
    >(`INSERT INTO projection_leases (projection, holder, expires_at)
      VALUES (?, ?, ?) ON CONFLICT (projection) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
      WHERE projection_leases.holder = excluded.holder OR projection_leases.expires_at <= ?`);
    this.drop = db.prepare<[string, string]>('DELETE FROM projection_leases WHERE projection = ? AND holder = ?');
    this.all = db.prepare<[], LeaseRow>('SELECT * FROM projection_leases ORDER BY projection');
  }

  async acquire(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    return this.take.run(name, holder, now + ttlMs, now).changes === 1;
  }

  async release(name: string, holder: string): Promise<void> {
    this.drop.run(name, holder);
  }

  async list(): Promise<Lease[]> {
    return this.all.all().map((r) => ({ name: r.projection, holder: r.holder, expires_at: new Date(r.expires_at) }));
  }
}
