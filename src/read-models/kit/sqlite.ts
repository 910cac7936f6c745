import type Database from 'better-sqlite3';
import type { Op } from './op';
import type { PrivateMessageRow } from './private-message';

/** What an op handler writes through: the live tables, or a rebuild's shadows. */
export interface SqliteWriter {
  /**
   * `sql` for the table whose live name is `table`, prepared on first use and kept under `key`.
   * The writer picks the table actually written (a shadow's, during a rebuild) and refuses tables
   * the projection does not own.
   */
  statement(key: string, table: string, sql: (table: string) => string): Database.Statement;
}

/** How to stage a table during a rebuild, then move the staged rows in once (see shadow-staging.ts). */
export interface SqliteStaged<O extends Op> {
  /** The one kind of op staged. */
  readonly kind: O['kind'];
  /** INSERT into the stage $S. */
  readonly insert: string;
  /** SELECTs the rows the shadow table ends up with from the stage $S, in its key order and column order. */
  readonly sorted: string;
  /** Starts one rebuild's staging. */
  open(): { params(op: O): unknown[]; sortedParams(): Record<string, unknown> };
  /**
   * Ops of other kinds that change rows already added (an erasure): the same change made to the
   * staged rows ($S), by kind; the op is then also applied to the shadow table as usual.
   */
  readonly onStage?: Readonly<Record<string, readonly { sql: string; params(op: O): unknown[] }[]>>;
}

export type SqliteHandlers<O extends Op> = {
  readonly [K in O['kind']]: (op: Extract<O, { kind: K }>, w: SqliteWriter) => void;
};

export interface SqliteReadModel<O extends Op, Q extends object> {
  /** Each owned table's DDL as a template: $T is the table's name, $I a prefix for its index names. */
  readonly ddl: Readonly<Record<string, string>>;
  /** How each kind of op is written. Ops are idempotent: applying one twice changes nothing. */
  readonly apply: SqliteHandlers<O>;
  /** Tables a rebuild fills through a stage (random-keyed tables that only ever gain rows). */
  readonly staged?: Readonly<Record<string, SqliteStaged<O>>>;
  /**
   * Kinds of op that only change existing rows by key (edits, deletes) and so commute with the
   * adds after them: a rebuild holds them back until its staged rows are in and indexed.
   */
  readonly deferred?: readonly O['kind'][];
  /** Columns (as DDL) that tables created by an earlier release lack; added on start-up. */
  readonly added?: Readonly<Record<string, readonly string[]>>;
  /** The queries, with statements prepared once on the read-model connection. */
  queries(db: Database.Database): Q;
}

/** Erased for the registry: an op only ever reaches the handler registered for its kind. */
export interface AnySqliteReadModel {
  readonly ddl: Readonly<Record<string, string>>;
  readonly apply: Readonly<Record<string, (op: never, w: SqliteWriter) => void>>;
  readonly staged?: Readonly<Record<string, SqliteStaged<Op>>>;
  readonly deferred?: readonly string[];
  readonly added?: Readonly<Record<string, readonly string[]>>;
  queries(db: Database.Database): object;
}

/** A private message as stored in rm_inbox and rm_conversations (after their key column). */
export interface MessageRecord {
  id: string;
  position: number;
  from_id: string;
  from_name: string;
  to_id: string;
  to_name: string;
  text: string;
  sent_at: string;
  edited_at: string | null;
  deleted: number;
}

/** Columns every message table has for edits and deletes (a deleted message's text is stored as ''). */
export const CHANGE_COLUMN_DDL = ['edited_at TEXT', 'deleted INTEGER NOT NULL DEFAULT 0'] as const;

/** The columns of a stored private message, after the table's key column (rm_inbox, rm_conversations). */
export const PM_COLUMN_DDL = `position  INTEGER NOT NULL,
  id        TEXT    NOT NULL,
  from_id   TEXT    NOT NULL,
  from_name TEXT    NOT NULL,
  to_id     TEXT    NOT NULL,
  to_name   TEXT    NOT NULL,
  text      TEXT    NOT NULL,
  sent_at   TEXT    NOT NULL,
  ${CHANGE_COLUMN_DDL.join(',\n  ')}`;

export const PM_COLUMNS = 'position, id, from_id, from_name, to_id, to_name, text, sent_at, edited_at, deleted';
/** As many placeholders as PM_COLUMNS has columns. */
export const PM_PLACEHOLDERS = PM_COLUMNS.split(',')
  .map(() => '?')
  .join(', ');

/** A private message's sender erased: the row stays in place, its name and text gone (see views.ts). */
export const ERASE_PM_SENDER = (t: string) => `UPDATE ${t} SET from_name = '', text = '' WHERE from_id = ?`;

/** Parameters for PM_COLUMNS. */
export const pmParams = (m: PrivateMessageRow) => [
  m.position,
  m.id,
  m.from_id,
  m.from,
  m.to_id,
  m.to,
  m.text ?? '',
  m.sent_at,
  m.edited_at,
  m.deleted ? 1 : 0,
];

/** The text, edit time and tombstone of a stored message as a row shows them. */
export const changeFields = (r: Pick<MessageRecord, 'text' | 'edited_at' | 'deleted'>) => ({
  text: r.deleted ? null : r.text,
  edited_at: r.edited_at,
  deleted: r.deleted === 1,
});

export const toPm = (r: MessageRecord): PrivateMessageRow => ({
  id: r.id,
  position: r.position,
  from_id: r.from_id,
  from: r.from_name,
  to_id: r.to_id,
  to: r.to_name,
  sent_at: r.sent_at,
  ...changeFields(r),
});

/**
 * Edits and deletes of a message table, whose rows are found by id and the `keys` columns (the
 * op has a field of the same name for each). An edit after a delete changes nothing; a message the
 * table does not hold (trimmed from an inbox) is left alone.
 */
export function changeHandlers<K extends string>(table: string, keys: readonly K[]) {
  const where = [...keys, 'id'].map((k) => `${k} = @${k}`).join(' AND ');
  const params = (op: Record<K | 'id', string>) => Object.fromEntries([...keys, 'id'].map((k) => [k, op[k as K]]));
  return {
    edit: (op: Record<K | 'id' | 'text' | 'edited_at' | 'kind', string>, w: SqliteWriter): void => {
      w.statement(
        op.kind,
        table,
        (t) => `UPDATE ${t} SET text = @text, edited_at = @edited_at
        WHERE ${where} AND deleted = 0`,
      ).run({ ...params(op), text: op.text, edited_at: op.edited_at });
    },
    delete: (op: Record<K | 'id' | 'kind', string>, w: SqliteWriter): void => {
      w.statement(op.kind, table, (t) => `UPDATE ${t} SET text = '', deleted = 1 WHERE ${where}`).run(params(op));
    },
  };
}

/** Position to page back from; null when `before` names no message. */
export function cursor(before: string | undefined, positionOf: (id: string) => unknown): number | null {
  if (before === undefined) return Number.MAX_SAFE_INTEGER;
  const row = positionOf(before) as { position: number } | undefined;
  return row ? row.position : null;
}
