import type { SqliteReadModel } from '../kit/sqlite';
import { BLOCKS, type BlockOp, type BlockRow, type BlocksQueries } from './types';

interface BlockRecord {
  blocker_id: string;
  blocked_id: string;
  blocked_name: string;
  position: number;
}

export const blocksSqlite: SqliteReadModel<BlockOp, BlocksQueries> = {
  ddl: {
    [BLOCKS]: `
CREATE TABLE $T (
  blocker_id   TEXT    NOT NULL,
  blocked_id   TEXT    NOT NULL,
  blocked_name TEXT    NOT NULL,
  position     INTEGER NOT NULL,
  PRIMARY KEY (blocker_id, blocked_id)
) WITHOUT ROWID;
CREATE INDEX $I_by_position ON $T (blocker_id, position);`,
  },
  apply: {
    'block.add': (op, w) => {
      const b = op.block;
      w.statement(
        op.kind,
        BLOCKS,
        (t) => `INSERT OR IGNORE INTO ${t} (blocker_id, blocked_id, blocked_name, position)
        VALUES (?, ?, ?, ?)`,
      ).run(b.blocker_id, b.blocked_id, b.blocked, b.position);
    },
    'block.remove': (op, w) => {
      w.statement(op.kind, BLOCKS, (t) => `DELETE FROM ${t} WHERE blocker_id = ? AND blocked_id = ?`).run(
        op.blocker_id,
        op.blocked_id,
      );
    },
    'block.erase': (op, w) => {
      w.statement(op.kind, BLOCKS, (t) => `DELETE FROM ${t} WHERE blocker_id = @user OR blocked_id = @user`).run({
        user: op.user_id,
      });
    },
  },
  queries(db) {
    const list = db.prepare('SELECT * FROM rm_blocks WHERE blocker_id = ? ORDER BY position');
    return {
      blocks: async (blockerId) =>
        (list.all(blockerId) as BlockRecord[]).map((r): BlockRow => ({
          blocker_id: r.blocker_id,
          blocked_id: r.blocked_id,
          blocked: r.blocked_name,
          position: r.position,
        })),
    };
  },
};
