import type Database from 'better-sqlite3';
import { READ_MODELS, type ReadModelQueries } from '../../read-models';
import { withQueries } from '../../read-models/kit/read-model';
import { CheckpointMovedError, type ReadModelOp, type ReadModelStore, type ShadowReadModel } from '../read-models';
import { ReadModelWriter } from './read-model-writer';
import { PROJECTION_TABLES } from './schema';
import { SqliteShadow } from './shadow';

/** Every read model's queries (see src/read-models/<name>/sqlite.ts), prepared on this connection. */
function sqliteQueries(db: Database.Database): ReadModelQueries {
  return Object.assign({}, ...READ_MODELS.map((m) => m.sqlite.queries(db))) as ReadModelQueries;
}

export class SqliteReadModels extends withQueries<ReadModelQueries>() implements ReadModelStore {
  private readonly s;
  private readonly applyTx;
  private readonly writer;

  constructor(private readonly db: Database.Database) {
    super(sqliteQueries(db));
    const prepare = (sql: string) => db.prepare(sql);
    this.s = {
      checkpoint: prepare('SELECT position FROM checkpoints WHERE projection = ?'),
      saveCheckpoint: prepare(
        'INSERT INTO checkpoints (projection, position) VALUES (?, ?) ON CONFLICT (projection) DO UPDATE SET position = excluded.position',
      ),
      deleteCheckpoint: prepare('DELETE FROM checkpoints WHERE projection = ?'),
    };
    this.writer = new ReadModelWriter(db, (table) => table);
    this.applyTx = db.transaction((projection: string, ops: ReadModelOp[], from: number, to: number) => {
      const actual = (this.s.checkpoint.get(projection) as { position: number } | undefined)?.position ?? 0;
      if (actual !== from) throw new CheckpointMovedError(projection, from, actual);
      for (const op of ops) this.writer.apply(op);
      this.s.saveCheckpoint.run(projection, to);
    });
  }

  async apply(projection: string, ops: ReadModelOp[], from: number, to: number): Promise<void> {
    // IMMEDIATE: the checkpoint is read and then written; see BUSY_TIMEOUT_MS.
    this.applyTx.immediate(projection, ops, from, to);
  }

  async shadow(projection: string): Promise<ShadowReadModel> {
    const tables = PROJECTION_TABLES[projection];
    if (!tables) throw new Error(`unknown projection: ${projection}`);
    return SqliteShadow.create(this.db, projection, tables);
  }

  async checkpoint(projection: string): Promise<number> {
    return (this.s.checkpoint.get(projection) as { position: number } | undefined)?.position ?? 0;
  }

  async reset(projection: string): Promise<void> {
    const tables = PROJECTION_TABLES[projection];
    if (!tables) throw new Error(`unknown projection: ${projection}`);
    this.db
      .transaction(() => {
        for (const table of tables) this.db.prepare(`DELETE FROM ${table}`).run();
        this.s.deleteCheckpoint.run(projection);
      })
      .immediate();
  }
}
