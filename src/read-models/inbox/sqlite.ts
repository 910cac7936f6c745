import {
  CHANGE_COLUMN_DDL,
  changeHandlers,
  PM_COLUMN_DDL,
  PM_COLUMNS,
  PM_PLACEHOLDERS,
  ERASE_PM_SENDER,
  pmParams,
  toPm,
  type MessageRecord,
  type SqliteReadModel,
} from '../kit/sqlite';
import { INBOX, type InboxOp, type InboxQueries } from './types';

const changes = changeHandlers(INBOX, ['owner_id']);
const erasedUser = (op: InboxOp): string => (op.kind === 'inbox.erase' ? op.user_id : '');

export const inboxSqlite: SqliteReadModel<InboxOp, InboxQueries> = {
  ddl: {
    [INBOX]: `
CREATE TABLE $T (
  owner_id  TEXT    NOT NULL,
  ${PM_COLUMN_DDL},
  PRIMARY KEY (owner_id, position)
) WITHOUT ROWID;`,
  },
  apply: {
    'inbox.add': (op, w) => {
      w.statement(
        op.kind,
        INBOX,
        (t) => `INSERT OR IGNORE INTO ${t} (owner_id, ${PM_COLUMNS})
        VALUES (?, ${PM_PLACEHOLDERS})`,
      ).run(op.message.to_id, ...pmParams(op.message));
      w.statement(
        'inbox.trim',
        INBOX,
        (t) => `DELETE FROM ${t} WHERE owner_id = @owner AND position <=
          (SELECT position FROM ${t} WHERE owner_id = @owner ORDER BY position DESC LIMIT 1 OFFSET @keep)`,
      ).run({ owner: op.message.to_id, keep: op.keep });
    },
    'inbox.edit': changes.edit,
    'inbox.delete': changes.delete,
    'inbox.erase': (op, w) => {
      w.statement('inbox.erase:owner', INBOX, (t) => `DELETE FROM ${t} WHERE owner_id = ?`).run(op.user_id);
      w.statement('inbox.erase:sender', INBOX, ERASE_PM_SENDER).run(op.user_id);
    },
  },
  deferred: ['inbox.edit', 'inbox.delete'],
  added: { [INBOX]: CHANGE_COLUMN_DDL },
  staged: {
    [INBOX]: {
      kind: 'inbox.add',
      insert: `INSERT INTO $S (owner_id, ${PM_COLUMNS}) VALUES (?, ${PM_PLACEHOLDERS})`,
      // What inserting each message and trimming to the newest `keep` would have left.
      sorted: `SELECT owner_id, ${PM_COLUMNS} FROM
        (SELECT *, row_number() OVER (PARTITION BY owner_id ORDER BY position DESC) AS newest FROM $S)
        WHERE newest <= @keep ORDER BY owner_id, position`,
      open() {
        /** The inbox size the ops asked for (one constant, checked). */
        let keep: number | null = null;
        return {
          params(op) {
            // Only the one staged kind is ever handed over.
            if (op.kind !== 'inbox.add') throw new Error(`${op.kind} ops are not staged`);
            if (keep !== null && keep !== op.keep) {
              throw new Error(`inbox.add ops disagree on how many messages to keep (${keep}, ${op.keep})`);
            }
            keep = op.keep;
            return [op.message.to_id, ...pmParams(op.message)];
          },
          sortedParams: () => ({ keep: keep ?? 0 }),
        };
      },
      onStage: {
        'inbox.erase': [
          { sql: 'DELETE FROM $S WHERE owner_id = ?', params: (op) => [erasedUser(op)] },
          { sql: ERASE_PM_SENDER('$S'), params: (op) => [erasedUser(op)] },
        ],
      },
    },
  },
  queries(db) {
    const newest = db.prepare(`SELECT * FROM (SELECT * FROM rm_inbox WHERE owner_id = ? ORDER BY position DESC LIMIT ?)
      ORDER BY position`);
    return { inbox: async (userId, limit) => (newest.all(userId, limit) as MessageRecord[]).map(toPm) };
  },
};
