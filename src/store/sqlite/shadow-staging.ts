import type Database from 'better-sqlite3';
import { READ_MODELS } from '../../read-models';
import type { SqliteStaged } from '../../read-models/kit/sqlite';
import { SHADOW_SUFFIX, type ReadModelOp } from '../read-models';

const STAGE_SUFFIX = '__stage';

/**
 * Read-model tables whose rebuild ops only ever add rows keyed at random (by recipient, by pair),
 * as the read models declare them. Inserted one by one into a growing B-tree, every batch dirties
 * nearly every page of it; staged in a plain heap and moved in once in key order, they are
 * written about once.
 */
const STAGED = new Map<string, SqliteStaged<ReadModelOp>>(
  READ_MODELS.flatMap((m) => Object.entries(m.sqlite.staged ?? {})),
);

const sql = (template: string, table: string) => template.replaceAll('$S', table + STAGE_SUFFIX).replaceAll('$T', table + SHADOW_SUFFIX);

interface Stage {
  table: string;
  insert: Database.Statement;
  finish: string;
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

  private constructor(private readonly db: Database.Database, tables: string[]) {
    for (const table of tables) {
      const spec = STAGED.get(table)!;
      const insert = db.prepare(sql(spec.insert, table));
      this.stages.set(spec.kind, { table, insert, finish: spec.finish, run: spec.open() });
      for (const [kind, list] of Object.entries(spec.onStage ?? {})) {
        const prepared = list.map((c) => ({ statement: db.prepare(sql(c.sql, table)), params: c.params }));
        this.changes.set(kind, [...(this.changes.get(kind) ?? []), ...prepared]);
      }
    }
  }

  /** Stage tables for those of `tables` that can be staged (call inside the shadow's create transaction). */
  static create(db: Database.Database, tables: string[]): ShadowStaging | null {
    const staged = tables.filter((t) => STAGED.has(t));
    if (staged.length === 0) return null;
    ShadowStaging.drop(db, staged);
    for (const table of staged) db.exec(`CREATE TABLE ${table}${STAGE_SUFFIX} AS SELECT * FROM ${table}${SHADOW_SUFFIX} WHERE 0`);
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

  /** Moves the staged rows into the shadow tables in key order and drops the stage (one transaction). */
  finish(): void {
    this.db.transaction(() => {
      for (const stage of this.stages.values()) this.db.prepare(sql(stage.finish, stage.table)).run(stage.run.finishParams());
      ShadowStaging.drop(this.db, [...this.stages.values()].map((s) => s.table));
    }).immediate();
  }
}
