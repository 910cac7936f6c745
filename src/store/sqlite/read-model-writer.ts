import type Database from 'better-sqlite3';
import { READ_MODELS } from '../../read-models';
import type { SqliteWriter } from '../../read-models/kit/sqlite';
import type { ReadModelOp } from '../read-models';

/** Each kind of op's handler, from the read model that owns it. */
const HANDLERS = new Map(READ_MODELS.flatMap((m) => Object.entries(m.sqlite.apply)));

/**
 * Turns read-model ops into SQL against a set of tables: the live ones, or a rebuild's shadows.
 * `tableFor` maps a live table's name to the one to write (and refuses tables not being written).
 * Statements are prepared on first use, so a shadow of one projection never touches other tables.
 */
export class ReadModelWriter {
  private readonly statements = new Map<string, Database.Statement>();
  private readonly writer: SqliteWriter;

  constructor(db: Database.Database, tableFor: (liveTable: string) => string) {
    this.writer = {
      statement: (key, table, sql) => {
        const cacheKey = `${table}\n${key}`;
        let stmt = this.statements.get(cacheKey);
        if (!stmt) {
          stmt = db.prepare(sql(tableFor(table)));
          this.statements.set(cacheKey, stmt);
        }
        return stmt;
      },
    };
  }

  apply(op: ReadModelOp): void {
    const handler = HANDLERS.get(op.kind);
    if (!handler) throw new Error(`no read model writes ${op.kind} ops`);
    handler(op, this.writer);
  }
}
