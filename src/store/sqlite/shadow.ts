import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { ShadowBehindError } from '../ports';
import type { ReadModelOp, ShadowReadModel } from '../read-models';
import { ReadModelWriter } from './read-model-writer';
import { SHADOW_SUFFIX } from '../read-models';
import { readModelTableParts } from './schema';
import { ShadowStaging } from './shadow-staging';
import { giveWritersATurn } from './turns';

/**
 * A projection's tables rebuilt as rm_<name>__rebuild beside the live ones, in the same database
 * file: queries never see them until promote() swaps them in, in one transaction with the
 * checkpoint. The database file has one writer at a time (the server's appends wait too), so
 * callers should apply big batches but not huge ones; after each write transaction the shadow
 * leaves the lock free for a moment (giveWritersATurn) so that a live server's appends get in.
 */
export class SqliteShadow implements ShadowReadModel {
  private current = 0;
  private finished = false;
  /** Secondary indexes still to be built (once, just before the first promotion attempt). */
  private pendingIndexes: string;
  private readonly writer: ReadModelWriter;
  private readonly applyTx;

  private constructor(
    private readonly db: Database.Database,
    private readonly projection: string,
    private readonly tables: string[],
    indexes: string,
    /** Rows staged while scanning; null once moved into the shadow tables. */
    private staging: ShadowStaging | null,
  ) {
    this.pendingIndexes = indexes;
    this.writer = new ReadModelWriter(db, (table) => {
      if (!tables.includes(table)) throw new Error(`projection ${projection} wrote to ${table}, which it does not own`);
      return table + SHADOW_SUFFIX;
    });
    this.applyTx = db.transaction((ops: ReadModelOp[]) => {
      for (const op of ops) if (!this.staging?.take(op)) this.writer.apply(op);
    });
  }

  /** Fresh, empty shadow tables; leftovers of an interrupted rebuild are dropped first. */
  static create(db: Database.Database, projection: string, tables: string[]): SqliteShadow {
    const tag = `_${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
    const indexes: string[] = [];
    const staging = db
      .transaction(() => {
        for (const table of tables) {
          db.exec(`DROP TABLE IF EXISTS ${table}${SHADOW_SUFFIX}`);
          const parts = readModelTableParts(table, table + SHADOW_SUFFIX, tag);
          db.exec(parts.table);
          if (parts.indexes) indexes.push(parts.indexes);
        }
        return ShadowStaging.create(db, tables);
      })
      .immediate();
    return new SqliteShadow(db, projection, tables, indexes.join(';\n'), staging);
  }

  get position(): number {
    return this.current;
  }

  async apply(ops: ReadModelOp[], position: number): Promise<void> {
    this.assertOpen();
    if (position < this.current)
      throw new Error(`shadow of ${this.projection} is at ${this.current}; cannot go back to ${position}`);
    const started = performance.now();
    this.applyTx.immediate(ops);
    this.current = position;
    await giveWritersATurn(started);
  }

  /**
   * Swaps the shadow in and sets the checkpoint. The events live in the same file, so the head is
   * re-checked inside the transaction: if anything was appended since the caller last looked,
   * nothing changes and ShadowBehindError says how far to catch up.
   */
  async promote(): Promise<void> {
    this.assertOpen();
    // Both in transactions of their own: if the swap below finds the log moved on, the shadow
    // catches up with its tables complete and indexed.
    if (this.staging) {
      await this.staging.finish();
      this.staging = null;
    }
    if (this.pendingIndexes) {
      const started = performance.now();
      this.db.transaction(() => this.db.exec(this.pendingIndexes)).immediate();
      this.pendingIndexes = '';
      await giveWritersATurn(started);
    }
    const started = performance.now();
    this.db
      .transaction(() => {
        const head = (this.db.prepare('SELECT max(position) AS p FROM events').get() as { p: number | null }).p ?? 0;
        if (head > this.current) throw new ShadowBehindError(this.projection, this.current, head);
        for (const table of this.tables) {
          this.db.exec(`DROP TABLE ${table}`);
          this.db.exec(`ALTER TABLE ${table}${SHADOW_SUFFIX} RENAME TO ${table}`);
        }
        this.db
          .prepare(
            'INSERT INTO checkpoints (projection, position) VALUES (?, ?) ON CONFLICT (projection) DO UPDATE SET position = excluded.position',
          )
          .run(this.projection, this.current);
      })
      .immediate();
    this.finished = true;
    await giveWritersATurn(started);
  }

  async discard(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.db
      .transaction(() => {
        for (const table of this.tables) this.db.exec(`DROP TABLE IF EXISTS ${table}${SHADOW_SUFFIX}`);
        ShadowStaging.drop(this.db, this.tables);
      })
      .immediate();
  }

  private assertOpen(): void {
    if (this.finished) throw new Error(`shadow of ${this.projection} was already promoted or discarded`);
  }
}
