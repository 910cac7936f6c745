import type Database from 'better-sqlite3';
import type { DataKeyStore, StoredDataKey } from '../data-key-port';
import type { RawEvent } from '../../events/upcasters';
import type { PrivacyStore, RewrittenEvent } from '../ports';

/**
 * The key store: outside the event log, in tables of their own. secure_delete (schema.ts) makes
 * SQLite overwrite a deleted key's bytes, so it is not left in a free page of the file.
 */
const DDL = `
CREATE TABLE IF NOT EXISTS data_keys (
  user_id   TEXT PRIMARY KEY,
  wrapped   BLOB,
  erased_at TEXT
);
CREATE TABLE IF NOT EXISTS privacy_meta (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
);`;

type KeyRow = StoredDataKey;

class SqliteDataKeys implements DataKeyStore {
  private readonly stmts;

  constructor(db: Database.Database) {
    db.exec(DDL);
    this.stmts = {
      get: db.prepare<[string], KeyRow>('SELECT user_id, wrapped, erased_at FROM data_keys WHERE user_id = ?'),
      create: db.prepare(
        'INSERT INTO data_keys (user_id, wrapped, erased_at) VALUES (?, ?, NULL) ON CONFLICT (user_id) DO NOTHING',
      ),
      erase: db.prepare(`INSERT INTO data_keys (user_id, wrapped, erased_at) VALUES (?, NULL, ?)
        ON CONFLICT (user_id) DO UPDATE SET wrapped = NULL, erased_at = coalesce(data_keys.erased_at, excluded.erased_at)`),
      list: db.prepare<[], KeyRow>('SELECT user_id, wrapped, erased_at FROM data_keys ORDER BY user_id'),
      import: db.prepare(`INSERT INTO data_keys (user_id, wrapped, erased_at) VALUES (@user_id, @wrapped, @erased_at)
        ON CONFLICT (user_id) DO UPDATE SET wrapped = NULL, erased_at = excluded.erased_at
        WHERE excluded.wrapped IS NULL AND data_keys.wrapped IS NOT NULL`),
      getMeta: db.prepare<[string], { value: string }>('SELECT value FROM privacy_meta WHERE name = ?'),
      setMeta: db.prepare(
        'INSERT INTO privacy_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
      ),
    };
    this.importMany = db.transaction((keys: StoredDataKey[]) => {
      for (const k of keys) this.stmts.import.run(k);
    });
  }

  private readonly importMany: Database.Transaction<(keys: StoredDataKey[]) => void>;

  async get(userId: string): Promise<StoredDataKey | null> {
    return this.stmts.get.get(userId) ?? null;
  }

  async create(userId: string, wrapped: Buffer): Promise<StoredDataKey> {
    this.stmts.create.run(userId, wrapped);
    return this.stmts.get.get(userId)!;
  }

  async erase(userId: string, time: string): Promise<void> {
    this.stmts.erase.run(userId, time);
  }

  async *list(): AsyncIterable<StoredDataKey> {
    yield* this.stmts.list.iterate();
  }

  async importKeys(keys: StoredDataKey[]): Promise<void> {
    this.importMany.immediate(keys);
  }

  async getMeta(name: string): Promise<string | null> {
    return this.stmts.getMeta.get(name)?.value ?? null;
  }

  async setMeta(name: string, value: string): Promise<void> {
    this.stmts.setMeta.run(name, value);
  }
}

/** Keys and the rewrite of `privacy migrate`, on the events connection (whose commits are synced). */
export class SqlitePrivacyStore implements PrivacyStore {
  readonly keys: DataKeyStore;
  private readonly rewrite: Database.Transaction<(events: RewrittenEvent[]) => void>;
  private readonly raw: Database.Statement<[number, number], Record<string, unknown>>;

  constructor(db: Database.Database) {
    this.keys = new SqliteDataKeys(db);
    this.raw = db.prepare('SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?');
    const update = db.prepare('UPDATE events SET stream = ?, data = ? WHERE position = ?');
    this.rewrite = db.transaction((events: RewrittenEvent[]) => {
      for (const e of events) {
        if (update.run(e.stream, JSON.stringify(e.data), e.position).changes !== 1) {
          throw new Error(`no event at position ${e.position} to rewrite`);
        }
      }
    });
  }

  async rewriteEvents(events: RewrittenEvent[]): Promise<void> {
    if (events.length > 0) this.rewrite.immediate(events);
  }

  async readRaw(afterPosition: number, limit: number): Promise<RawEvent[]> {
    return this.raw.all(afterPosition, limit).map(
      (row) =>
        ({
          ...row,
          data: JSON.parse(row.data as string) as RawEvent['data'],
          metadata: JSON.parse(row.metadata as string) as RawEvent['metadata'],
        }) as RawEvent,
    );
  }
}
