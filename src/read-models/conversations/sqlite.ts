import {
  cursor,
  PM_COLUMN_DDL,
  PM_COLUMNS,
  pmParams,
  toPm,
  type MessageRecord,
  type SqliteReadModel,
} from '../kit/sqlite';
import { CONVERSATIONS, pairKey, type ConversationOp, type ConversationsQueries } from './types';

const params = (op: ConversationOp) => [pairKey(op.message.from_id, op.message.to_id), ...pmParams(op.message)];

export const conversationsSqlite: SqliteReadModel<ConversationOp, ConversationsQueries> = {
  ddl: {
    [CONVERSATIONS]: `
CREATE TABLE $T (
  pair      TEXT    NOT NULL,
  ${PM_COLUMN_DDL},
  PRIMARY KEY (pair, position)
) WITHOUT ROWID;
CREATE INDEX $I_by_id ON $T (id);`,
  },
  apply: {
    'conversation.add': (op, w) => {
      w.statement(
        op.kind,
        CONVERSATIONS,
        (t) => `INSERT OR IGNORE INTO ${t} (pair, ${PM_COLUMNS})
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(...params(op));
    },
  },
  staged: {
    [CONVERSATIONS]: {
      kind: 'conversation.add',
      insert: `INSERT INTO $S (pair, ${PM_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      sorted: 'SELECT * FROM $S ORDER BY pair, position',
      open: () => ({ params, sortedParams: () => ({}) }),
    },
  },
  queries(db) {
    const positionOf = db.prepare('SELECT position FROM rm_conversations WHERE id = ? AND pair = ?');
    const page = db.prepare(
      'SELECT * FROM rm_conversations WHERE pair = ? AND position < ? ORDER BY position DESC LIMIT ?',
    );
    return {
      async conversation(userA, userB, { before, limit }) {
        const pair = pairKey(userA, userB);
        const from = cursor(before, (id) => positionOf.get(id, pair));
        if (from === null) return null;
        return (page.all(pair, from, limit) as MessageRecord[]).map(toPm);
      },
    };
  },
};
