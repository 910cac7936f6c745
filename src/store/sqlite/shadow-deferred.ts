import type Database from 'better-sqlite3';
import { readModelOf } from '../../read-models';
import type { ReadModelOp } from '../read-models';
import type { ReadModelWriter } from './read-model-writer';

const PAGE = 1000;

/**
 * Ops a rebuild holds back while it scans: they change rows by key, but staged rows are not in the
 * shadow yet and its secondary indexes not built, so applied at once they would miss rows or scan
 * the table. They commute with the adds after them, so applying them in log order once the rows
 * are in gives the same tables. Kept in a temporary table (this connection's, gone with it).
 */
export class ShadowDeferred {
  private readonly insert: Database.Statement;
  private constructor(
    private readonly db: Database.Database,
    private readonly table: string,
    private readonly kinds: ReadonlySet<string>,
  ) {
    this.insert = db.prepare(`INSERT INTO temp.${table} (op) VALUES (?)`);
  }

  /** A hold for the projection's deferred kinds of op (its read model's `deferred`); null when it has none. */
  static create(db: Database.Database, projection: string): ShadowDeferred | null {
    const kinds = readModelOf(projection).sqlite.deferred ?? [];
    if (kinds.length === 0) return null;
    const table = `deferred_${projection.replace(/\W/g, '_')}`;
    db.exec(`DROP TABLE IF EXISTS temp.${table};
      CREATE TEMP TABLE ${table} (seq INTEGER PRIMARY KEY, op TEXT NOT NULL)`);
    return new ShadowDeferred(db, table, new Set(kinds));
  }

  /** Holds the op back if it is of a deferred kind; false otherwise. */
  take(op: ReadModelOp): boolean {
    if (!this.kinds.has(op.kind)) return false;
    this.insert.run(JSON.stringify(op));
    return true;
  }

  /** Applies the held ops in log order through `writer` and forgets them (one transaction). */
  finish(writer: ReadModelWriter): void {
    this.db
      .transaction(() => {
        // In pages: the connection cannot write while a statement is still iterating.
        const page = this.db.prepare(`SELECT seq, op FROM temp.${this.table} WHERE seq > ? ORDER BY seq LIMIT ${PAGE}`);
        for (let after = 0; ;) {
          const rows = page.all(after) as { seq: number; op: string }[];
          for (const row of rows) writer.apply(JSON.parse(row.op) as ReadModelOp);
          if (rows.length < PAGE) break;
          after = rows[rows.length - 1].seq;
        }
        this.db.exec(`DROP TABLE temp.${this.table}`);
      })
      .immediate();
  }

  discard(): void {
    this.db.exec(`DROP TABLE IF EXISTS temp.${this.table}`);
  }
}
