import {
  changeHandlers,
  cursor,
  PM_COLUMN_DDL,
  PM_COLUMNS,
  PM_PLACEHOLDERS,
  pmParams,
  toPm,
  type MessageRecord,
  type SqliteReadModel,
} from '../kit/sqlite';
import {
  CONVERSATION_LIST,
  CONVERSATION_RECEIVED,
  type ConversationEntry,
  type ConversationListOp,
  type ConversationListQueries,
} from './types';

interface EntryRecord extends MessageRecord {
  owner_id: string;
  peer_id: string;
  peer: string;
  read_up_to: number;
  unread: number;
  seen_up_to: string | null;
}

const toEntry = (r: EntryRecord): ConversationEntry => ({
  peer_id: r.peer_id,
  peer: r.peer,
  last: toPm(r),
  read_up_to: r.read_up_to,
  unread: r.unread,
  seen_up_to: r.seen_up_to,
});

const changes = changeHandlers(CONVERSATION_LIST, ['owner_id', 'peer_id']);

const UPDATED_COLUMNS = PM_COLUMNS.split(', ')
  .map((c) => `${c} = excluded.${c}`)
  .join(', ');

export const conversationListSqlite: SqliteReadModel<ConversationListOp, ConversationListQueries> = {
  ddl: {
    // position (of the last message) is unique per owner: each message moves one entry of each party.
    [CONVERSATION_LIST]: `
CREATE TABLE $T (
  owner_id   TEXT    NOT NULL,
  peer_id    TEXT    NOT NULL,
  peer       TEXT    NOT NULL,
  ${PM_COLUMN_DDL},
  read_up_to INTEGER NOT NULL,
  seen_up_to TEXT,
  seen_position INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (owner_id, peer_id)
) WITHOUT ROWID;
CREATE INDEX $I_by_activity ON $T (owner_id, position);`,
    [CONVERSATION_RECEIVED]: `
CREATE TABLE $T (
  owner_id TEXT    NOT NULL,
  peer_id  TEXT    NOT NULL,
  position INTEGER NOT NULL,
  PRIMARY KEY (owner_id, peer_id, position)
) WITHOUT ROWID;`,
  },
  apply: {
    'conversation-list.message': (op, w) => {
      // An older message (a replay) leaves the entry as it is.
      w.statement(
        op.kind,
        CONVERSATION_LIST,
        (t) => `INSERT INTO ${t} (owner_id, peer_id, peer, ${PM_COLUMNS}, read_up_to)
        VALUES (?, ?, ?, ${PM_PLACEHOLDERS}, 0)
        ON CONFLICT (owner_id, peer_id) DO UPDATE SET peer = excluded.peer, ${UPDATED_COLUMNS}
        WHERE excluded.position > ${t}.position`,
      ).run(op.owner_id, op.peer_id, op.peer, ...pmParams(op.message));
      if (!op.received) return;
      w.statement(
        `${op.kind}:received`,
        CONVERSATION_RECEIVED,
        (t) => `INSERT OR IGNORE INTO ${t}
        (owner_id, peer_id, position) VALUES (?, ?, ?)`,
      ).run(op.owner_id, op.peer_id, op.message.position);
    },
    'conversation-list.read': (op, w) => {
      // A marker only moves forward, so an older (or replayed) read changes nothing.
      w.statement(
        op.kind,
        CONVERSATION_LIST,
        (t) => `UPDATE ${t} SET read_up_to = ?
        WHERE owner_id = ? AND peer_id = ? AND read_up_to < ?`,
      ).run(op.up_to_position, op.owner_id, op.peer_id, op.up_to_position);
    },
    'conversation-list.seen': (op, w) => {
      w.statement(
        op.kind,
        CONVERSATION_LIST,
        (t) => `UPDATE ${t} SET seen_up_to = ?, seen_position = ?
        WHERE owner_id = ? AND peer_id = ? AND seen_position < ?`,
      ).run(op.up_to, op.up_to_position, op.owner_id, op.peer_id, op.up_to_position);
    },
    'conversation-list.edit': changes.edit,
    'conversation-list.delete': changes.delete,
    'conversation-list.erase': (op, w) => {
      w.statement(`${op.kind}:list`, CONVERSATION_LIST, (t) => `DELETE FROM ${t} WHERE owner_id = ?`).run(op.user_id);
      w.statement(`${op.kind}:received`, CONVERSATION_RECEIVED, (t) => `DELETE FROM ${t} WHERE owner_id = ?`).run(
        op.user_id,
      );
      w.statement(
        `${op.kind}:sender`,
        CONVERSATION_LIST,
        (t) => `UPDATE ${t} SET from_name = '', text = '' WHERE from_id = ?`,
      ).run(op.user_id);
    },
  },
  queries(db) {
    const positionOf = db.prepare('SELECT position FROM rm_conversation_list WHERE owner_id = ? AND peer_id = ?');
    const page = db.prepare(`SELECT l.*, (SELECT COUNT(*) FROM rm_conversation_received r
        WHERE r.owner_id = l.owner_id AND r.peer_id = l.peer_id AND r.position > l.read_up_to) AS unread
      FROM rm_conversation_list l WHERE l.owner_id = ? AND l.position < ? ORDER BY l.position DESC LIMIT ?`);
    return {
      async conversationList(ownerId, { before, limit }) {
        const from = cursor(before, (peerId) => positionOf.get(ownerId, peerId));
        if (from === null) return null;
        return (page.all(ownerId, from, limit) as EntryRecord[]).map(toEntry);
      },
    };
  },
};
