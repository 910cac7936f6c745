import {
  CHANGE_COLUMN_DDL,
  changeHandlers,
  cursor,
  ERASE_PM_SENDER,
  PM_COLUMN_DDL,
  PM_COLUMNS,
  PM_PLACEHOLDERS,
  pmParams,
  toPm,
  type MessageRecord,
  type SqliteReadModel,
} from '../kit/sqlite';
import { CONVERSATIONS, pairKey, type ConversationOp, type ConversationsQueries } from './types';

const params = (op: ConversationOp) => {
  // Only adds are staged or inserted.
  if (op.kind !== 'conversation.add') throw new Error(`${op.kind} ops insert no rows`);
  return [pairKey(op.message.from_id, op.message.to_id), ...pmParams(op.message)];
};
const changes = changeHandlers(CONVERSATIONS, ['pair']);

const erasedUser = (op: ConversationOp): string => (op.kind === 'conversation.erase' ? op.user_id : '');

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
        VALUES (?, ${PM_PLACEHOLDERS})`,
      ).run(...params(op));
    },
    'conversation.edit': changes.edit,
    'conversation.delete': changes.delete,
    'conversation.erase': (op, w) => {
      w.statement(op.kind, CONVERSATIONS, ERASE_PM_SENDER).run(op.user_id);
    },
  },
  deferred: ['conversation.edit', 'conversation.delete'],
  added: { [CONVERSATIONS]: CHANGE_COLUMN_DDL },
  staged: {
    [CONVERSATIONS]: {
      kind: 'conversation.add',
      insert: `INSERT INTO $S (pair, ${PM_COLUMNS}) VALUES (?, ${PM_PLACEHOLDERS})`,
      sorted: 'SELECT * FROM $S ORDER BY pair, position',
      open: () => ({ params, sortedParams: () => ({}) }),
      onStage: { 'conversation.erase': [{ sql: ERASE_PM_SENDER('$S'), params: (op) => [erasedUser(op)] }] },
    },
  },
  queries(db) {
    const positionOf = db.prepare('SELECT position FROM rm_conversations WHERE id = ? AND pair = ?');
    const page = db.prepare(
      'SELECT * FROM rm_conversations WHERE pair = ? AND position < ? ORDER BY position DESC LIMIT ?',
    );
    // A scan: exports are rare and rate-limited, and an index per user would cost every message.
    const ofUser = db.prepare('SELECT * FROM rm_conversations WHERE from_id = ? OR to_id = ? ORDER BY position');
    return {
      async conversation(userA, userB, { before, limit }) {
        const pair = pairKey(userA, userB);
        const from = cursor(before, (id) => positionOf.get(id, pair));
        if (from === null) return null;
        return (page.all(pair, from, limit) as MessageRecord[]).map(toPm);
      },
      messagesOf: async (userId) => (ofUser.all(userId, userId) as MessageRecord[]).map(toPm),
    };
  },
};
