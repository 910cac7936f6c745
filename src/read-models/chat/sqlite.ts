import {
  CHANGE_COLUMN_DDL,
  changeFields,
  changeHandlers,
  cursor,
  type MessageRecord,
  type SqliteReadModel,
} from '../kit/sqlite';
import { CHAT, type ChatMessageRow, type ChatOp, type ChatQueries } from './types';

type ChatRecord = Omit<MessageRecord, 'to_id' | 'to_name'>;

const toChat = (r: ChatRecord): ChatMessageRow => ({
  id: r.id,
  position: r.position,
  from_id: r.from_id,
  from: r.from_name,
  sent_at: r.sent_at,
  ...changeFields(r),
});

const changes = changeHandlers(CHAT, []);

export const chatSqlite: SqliteReadModel<ChatOp, ChatQueries> = {
  ddl: {
    [CHAT]: `
CREATE TABLE $T (
  position  INTEGER PRIMARY KEY,
  id        TEXT NOT NULL,
  from_id   TEXT NOT NULL,
  from_name TEXT NOT NULL,
  text      TEXT NOT NULL,
  sent_at   TEXT NOT NULL,
  ${CHANGE_COLUMN_DDL.join(',\n  ')}
);
CREATE INDEX $I_by_id ON $T (id);`,
  },
  apply: {
    'chat.add': (op, w) => {
      const m = op.message;
      w.statement(
        op.kind,
        CHAT,
        (t) => `INSERT OR IGNORE INTO ${t}
        (position, id, from_id, from_name, text, sent_at, edited_at, deleted) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(m.position, m.id, m.from_id, m.from, m.text ?? '', m.sent_at, m.edited_at, m.deleted ? 1 : 0);
    },
    'chat.edit': changes.edit,
    'chat.delete': changes.delete,
    'chat.erase': (op, w) => {
      w.statement(op.kind, CHAT, (t) => `UPDATE ${t} SET from_name = '', text = '' WHERE from_id = ?`).run(op.user_id);
    },
  },
  // A rebuild indexes rm_chat by id only at the end: the changes wait for the index.
  deferred: ['chat.edit', 'chat.delete'],
  added: { [CHAT]: CHANGE_COLUMN_DDL },
  queries(db) {
    const positionOf = db.prepare('SELECT position FROM rm_chat WHERE id = ?');
    const page = db.prepare('SELECT * FROM rm_chat WHERE position < ? ORDER BY position DESC LIMIT ?');
    const ofUser = db.prepare('SELECT * FROM rm_chat WHERE from_id = ? ORDER BY position');
    return {
      async chat({ before, limit }) {
        const from = cursor(before, (id) => positionOf.get(id));
        if (from === null) return null;
        return (page.all(from, limit) as ChatRecord[]).map(toChat);
      },
      chatOf: async (userId) => (ofUser.all(userId) as ChatRecord[]).map(toChat),
    };
  },
};
