import Database from 'better-sqlite3';
import { READ_MODELS } from '../../read-models';
import type { SqliteStaged } from '../../read-models/kit/sqlite';
import { SHADOW_SUFFIX, type ReadModelOp } from '../read-models';
import { giveWritersATurn } from './turns';

const STAGE_SUFFIX = '__stage';
/** Rows moved from a stage into its shadow per transaction (some milliseconds of writing). */
const MOVE_CHUNK = 5_000;

/**
 * Read-model tables whose rebuild ops only ever add rows keyed at random (by recipient, by pair),
 * as the read models declare them. Inserted one by one into a growing B-tree, every batch dirties
 * nearly every page of it; staged in a plain heap and moved in once in key order, they are
 * written about once.
 */
const STAGED = new Map<string, SqliteStaged<ReadModelOp>>(
  READ_MODELS.flatMap((m) => Object.entries(m.sqlite.staged ?? {})),
);

const sql = (template: string, table: string) =>
  template.replaceAll('$S', table + STAGE_SUFFIX).replaceAll('$T', table + SHADOW_SUFFIX);

interface Stage {
  table: string;
  insert: Database.Statement;
  sorted: string;
  run: ReturnType<SqliteStaged<ReadModelOp>['open']>;
}

/** A change to staged rows made by an op of another kind (see SqliteStaged.onStage). */
interface StageChange {
  statement: Database.Statement;
  params(op: ReadModelOp): unknown[];
}

/** The staged part of a shadow: used while the rebuild scans, finished before the first swap. */
export class ShadowStaging {
  private readonly stages = new Map<ReadModelOp['kind'], Stage>();
  private readonly changes = new Map<string, StageChange[]>();

  private constructor(
    private readonly db: Database.Database,
    tables: string[],
  ) {
    for (const table of tables) {
      const spec = STAGED.get(table)!;
      const insert = db.prepare(sql(spec.insert, table));
      this.stages.set(spec.kind, { table, insert, sorted: spec.sorted, run: spec.open() });
      for (const [kind, list] of Object.entries(spec.onStage ?? {})) {
        const prepared = list.map((c) => ({
          statement: db.prepare(sql(c.sql, table)),
          params: (op: ReadModelOp) => c.params(op),
        }));
        this.changes.set(kind, [...(this.changes.get(kind) ?? []), ...prepared]);
      }
    }
  }

  /** Stage tables for those of `tables` that can be staged (call inside the shadow's create transaction). */
  static create(db: Database.Database, tables: string[]): ShadowStaging | null {
    const staged = tables.filter((t) => STAGED.has(t));
    if (staged.length === 0) return null;
    ShadowStaging.drop(db, staged);
    for (const table of staged)
      db.exec(`CREATE TABLE ${table}${STAGE_SUFFIX} AS SELECT * FROM ${table}${SHADOW_SUFFIX} WHERE 0`);
    return new ShadowStaging(db, staged);
  }

  static drop(db: Database.Database, tables: string[]): void {
    for (const table of tables) if (STAGED.has(table)) db.exec(`DROP TABLE IF EXISTS ${table}${STAGE_SUFFIX}`);
  }

  /** Stages the op if it is of a staged kind; false otherwise. */
  take(op: ReadModelOp): boolean {
    for (const change of this.changes.get(op.kind) ?? []) change.statement.run(...change.params(op));
    const stage = this.stages.get(op.kind);
    if (!stage) return false;
    stage.insert.run(...stage.run.params(op));
    return true;
  }

  /**
   * Moves the staged rows into the shadow tables in key order and drops the stage. On a file, the
   * rows are read in order through a connection of their own (a read never blocks the file's
   * writer) and written in short transactions with a rest after each, so that a live server's
   * appends never wait long; an in-memory database does it in one transaction.
   */
  async finish(): Promise<void> {
    const stages = [...this.stages.values()];
    if (this.db.memory) {
      this.db
        .transaction(() => {
          for (const stage of stages) {
            const into = `INSERT OR IGNORE INTO ${stage.table}${SHADOW_SUFFIX} `;
            this.db.prepare(into + sql(stage.sorted, stage.table)).run(stage.run.sortedParams());
          }
          ShadowStaging.drop(
            this.db,
            stages.map((s) => s.table),
          );
        })
        .immediate();
      return;
    }
    const reader = new Database(this.db.name, { readonly: true, fileMustExist: true });
    try {
      for (const stage of stages) await this.move(reader, stage);
    } finally {
      reader.close();
    }
    const started = performance.now();
    this.db
      .transaction(() =>
        ShadowStaging.drop(
          this.db,
          stages.map((s) => s.table),
        ),
      )
      .immediate();
    await giveWritersATurn(started);
  }

  /** Copies one stage's rows, read in the shadow's key order, in chunks of MOVE_CHUNK. */
  private async move(reader: Database.Database, stage: Stage): Promise<void> {
    const sorted = reader.prepare(sql(stage.sorted, stage.table)).raw(true);
    // The sorted rows have the shadow table's columns, in its order.
    const marks = sorted
      .columns()
      .map(() => '?')
      .join(', ');
    const insert = this.db.prepare(`INSERT OR IGNORE INTO ${stage.table}${SHADOW_SUFFIX} VALUES (${marks})`);
    const write = this.db.transaction((rows: unknown[][]) => {
      for (const row of rows) insert.run(...row);
    });
    let chunk: unknown[][] = [];
    const flush = async () => {
      const started = performance.now();
      write.immediate(chunk);
      chunk = [];
      await giveWritersATurn(started);
    };
    for (const row of sorted.iterate(stage.run.sortedParams()) as Iterable<unknown[]>) {
      chunk.push(row);
      if (chunk.length >= MOVE_CHUNK) await flush();
    }
    if (chunk.length > 0) await flush();
  }
}
