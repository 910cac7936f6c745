import type Database from 'better-sqlite3';
import { READ_MODELS } from '../../read-models';

/** The whole embedded schema. Read-model tables are prefixed rm_ and can be rebuilt from events. */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  position       INTEGER PRIMARY KEY,
  id             TEXT    NOT NULL,
  stream         TEXT    NOT NULL,
  version        INTEGER NOT NULL,
  type           TEXT    NOT NULL,
  schema_version INTEGER NOT NULL,
  time           TEXT    NOT NULL,
  data           TEXT    NOT NULL,
  metadata       TEXT    NOT NULL,
  UNIQUE (stream, version)
);

CREATE TABLE IF NOT EXISTS pictures (
  id           TEXT PRIMARY KEY,
  content_type TEXT NOT NULL,
  bytes        BLOB NOT NULL
);

CREATE TABLE IF NOT EXISTS checkpoints (
  projection TEXT PRIMARY KEY,
  position   INTEGER NOT NULL
);

-- One projector per projection across processes: the holder applies, the others follow its checkpoint.
CREATE TABLE IF NOT EXISTS projection_leases (
  projection TEXT PRIMARY KEY,
  holder     TEXT    NOT NULL,
  expires_at INTEGER NOT NULL
);

`;

/**
 * Each read-model table as a template, from the read models' folders: $T is the table's name, $I a
 * prefix for its index names. The live table is rm_<name>; a rebuild builds rm_<name>__rebuild
 * beside it and renames it into place, so both come from this one definition.
 */
const READ_MODEL_TABLES: Record<string, string> = Object.fromEntries(
  READ_MODELS.flatMap((m) => Object.entries(m.sqlite.ddl)),
);

/**
 * DDL creating `table`'s structure under the name `as`. Index names cannot be renamed in SQLite
 * and a promoted shadow keeps its indexes, so a shadow's index names carry a unique tag: they can
 * never collide with the names the live table inherited from an earlier rebuild.
 */
export function readModelTableDdl(table: string, as: string, indexTag = ''): string {
  const ddl = READ_MODEL_TABLES[table];
  if (!ddl) throw new Error(`unknown read-model table: ${table}`);
  return ddl.replaceAll('$I', `${table}${indexTag}`).replaceAll('$T', as);
}

/**
 * The same DDL split into the table and its secondary indexes: a rebuild fills the table first
 * and indexes it once at the end, which is much cheaper than keeping random-keyed indexes up to
 * date row by row.
 */
export function readModelTableParts(table: string, as: string, indexTag: string): { table: string; indexes: string } {
  const statements = readModelTableDdl(table, as, indexTag)
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
  const isIndex = (s: string) => s.startsWith('CREATE INDEX');
  return {
    table: statements.filter((s) => !isIndex(s)).join(';\n'),
    indexes: statements.filter(isIndex).join(';\n'),
  };
}

/** Columns tables created by an earlier release lack, by table. */
const ADDED_COLUMNS: [string, readonly string[]][] = READ_MODELS.flatMap((m) => Object.entries(m.sqlite.added ?? {}));

/** Tables each projection owns, cleared when it is reset. */
export const PROJECTION_TABLES: Record<string, string[]> = Object.fromEntries(
  READ_MODELS.map((m) => [m.projection.name, [...m.tables]]),
);

export function migrate(db: Database.Database): void {
  db.transaction(() => {
    db.exec(SCHEMA);
    // Only missing tables are created: an existing one may carry indexes a rebuild named.
    const exists = db.prepare<[string], { name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?",
    );
    for (const table of Object.keys(READ_MODEL_TABLES)) {
      if (!exists.get(table)) db.exec(readModelTableDdl(table, table));
    }
    // The added columns' defaults are what the old rows mean (e.g. never edited, not deleted).
    for (const [table, columns] of ADDED_COLUMNS) {
      const have = new Set((db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name));
      for (const column of columns) {
        if (!have.has(column.split(' ')[0])) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column}`);
      }
    }
  }).immediate();
}

/**
 * How long a statement waits for a lock another connection or process holds before failing with
 * SQLITE_BUSY. Every write transaction begins IMMEDIATE (takes the write lock first), so the wait
 * happens here and is never cut short by SQLITE_BUSY_SNAPSHOT; the tools keep their transactions
 * far shorter than this (see docs/operations.md).
 */
export const BUSY_TIMEOUT_MS = 5000;

/**
 * WAL lets readers run beside the writer. synchronous=NORMAL: a commit is not fsynced by SQLite
 * (the event store fsyncs the WAL itself, off the event loop, before acknowledging), but the WAL is
 * synced before each checkpoint and the database after it, so nothing on disk is ever torn.
 */
export function configure(db: Database.Database): void {
  // First: switching a new file to WAL takes a lock another process starting at once may hold.
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = OFF');
  // Deleted content (an erased user's rows, a deleted data key) is overwritten, not left in free space.
  db.pragma('secure_delete = ON');
  // Up to 64 MiB of pages per connection (default ~2 MiB): message ids and stream names are random
  // keys, so inserts land all over the indexes; a larger cache saves ~15% CPU per message here.
  db.pragma('cache_size = -65536');
}
