import Database from 'better-sqlite3';
import { pairKey, SHADOW_SUFFIX, type ReadModelOp } from '../read-models';
import { pmParams } from './read-model-writer';
import { giveWritersATurn } from './turns';

const STAGE_SUFFIX = '__stage';
/** Rows moved from a stage into its shadow per transaction (some milliseconds of writing). */
const MOVE_CHUNK = 5_000;
const PM_COLUMNS = 'position, id, from_id, from_name, to_id, to_name, text, sent_at';

/**
 * Read-model tables whose rebuild ops only ever add rows keyed at random (by recipient, by pair).
 * Inserted one by one into a growing B-tree, every batch dirties nearly every page of it; staged
 * in a plain heap and moved in once in key order, they are written about once.
 */
const STAGED: Record<string, { kind: ReadModelOp['kind']; insert: string; finish: string; sorted: string }> = {
  rm_inbox: {
    kind: 'inbox.add',
    insert: `INSERT INTO $S (owner_id, ${PM_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    // What inserting each message and trimming to the newest `keep` would have left.
    finish: `INSERT OR IGNORE INTO $T SELECT owner_id, ${PM_COLUMNS} FROM
      (SELECT *, row_number() OVER (PARTITION BY owner_id ORDER BY position DESC) AS newest FROM $S)
      WHERE newest <= @keep ORDER BY owner_id, position`,
    sorted: `SELECT owner_id, ${PM_COLUMNS} FROM
      (SELECT *, row_number() OVER (PARTITION BY owner_id ORDER BY position DESC) AS newest FROM $S)
      WHERE newest <= @keep ORDER BY owner_id, position`,
  },
  rm_conversations: {
    kind: 'conversation.add',
    insert: `INSERT INTO $S (pair, ${PM_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    finish: 'INSERT OR IGNORE INTO $T SELECT * FROM $S ORDER BY pair, position',
    sorted: 'SELECT * FROM $S ORDER BY pair, position',
  },
};

const sql = (template: string, table: string) => template.replaceAll('$S', table + STAGE_SUFFIX).replaceAll('$T', table + SHADOW_SUFFIX);

/** The staged part of a shadow: used while the rebuild scans, finished before the first swap. */
export class ShadowStaging {
  private readonly inserts = new Map<ReadModelOp['kind'], Database.Statement>();
  /** The inbox size the ops asked for (one constant, checked). */
  private keep: number | null = null;

  private constructor(private readonly db: Database.Database, private readonly tables: string[]) {
    for (const table of tables) this.inserts.set(STAGED[table]!.kind, db.prepare(sql(STAGED[table]!.insert, table)));
  }

  /** Stage tables for those of `tables` that can be staged (call inside the shadow's create transaction). */
  static create(db: Database.Database, tables: string[]): ShadowStaging | null {
    const staged = tables.filter((t) => STAGED[t]);
    if (staged.length === 0) return null;
    ShadowStaging.drop(db, staged);
    for (const table of staged) db.exec(`CREATE TABLE ${table}${STAGE_SUFFIX} AS SELECT * FROM ${table}${SHADOW_SUFFIX} WHERE 0`);
    return new ShadowStaging(db, staged);
  }

  static drop(db: Database.Database, tables: string[]): void {
    for (const table of tables) if (STAGED[table]) db.exec(`DROP TABLE IF EXISTS ${table}${STAGE_SUFFIX}`);
  }

  /** Stages the op if it is of a staged kind; false otherwise. */
  take(op: ReadModelOp): boolean {
    const insert = this.inserts.get(op.kind);
    if (!insert) return false;
    if (op.kind === 'inbox.add') {
      if (this.keep !== null && this.keep !== op.keep) throw new Error(`inbox.add ops disagree on how many messages to keep (${this.keep}, ${op.keep})`);
      this.keep = op.keep;
      insert.run(op.message.to_id, ...pmParams(op.message));
    } else if (op.kind === 'conversation.add') {
      insert.run(pairKey(op.message.from_id, op.message.to_id), ...pmParams(op.message));
    }
    return true;
  }

  /**
   * Moves the staged rows into the shadow tables in key order and drops the stage. On a file, the
   * rows are read in order through a connection of their own (a read never blocks the file's
   * writer) and written in short transactions with a rest after each, so that a live server's
   * appends never wait long; an in-memory database does it in one transaction.
   */
  async finish(): Promise<void> {
    const params = (table: string) => (table === 'rm_inbox' ? { keep: this.keep ?? 0 } : {});
    if (this.db.memory) {
      this.db.transaction(() => {
        for (const table of this.tables) this.db.prepare(sql(STAGED[table]!.finish, table)).run(params(table));
        ShadowStaging.drop(this.db, this.tables);
      }).immediate();
      return;
    }
    const reader = new Database(this.db.name, { readonly: true, fileMustExist: true });
    try {
      for (const table of this.tables) {
        // Stage and shadow have the same nine columns, in the same order.
        const insert = this.db.prepare(`INSERT OR IGNORE INTO ${table}${SHADOW_SUFFIX} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
        const move = this.db.transaction((rows: unknown[][]) => { for (const row of rows) insert.run(...row); });
        let chunk: unknown[][] = [];
        const flush = async () => {
          const started = performance.now();
          move.immediate(chunk);
          chunk = [];
          await giveWritersATurn(started);
        };
        const sorted = reader.prepare(sql(STAGED[table]!.sorted, table)).raw(true);
        for (const row of sorted.iterate(params(table)) as Iterable<unknown[]>) {
          chunk.push(row);
          if (chunk.length >= MOVE_CHUNK) await flush();
        }
        if (chunk.length > 0) await flush();
      }
    } finally {
      reader.close();
    }
    const started = performance.now();
    this.db.transaction(() => ShadowStaging.drop(this.db, this.tables)).immediate();
    await giveWritersATurn(started);
  }
}
