import type Database from 'better-sqlite3';

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

CREATE TABLE IF NOT EXISTS rm_users (
  user_id      TEXT PRIMARY KEY,
  username     TEXT NOT NULL,
  username_key TEXT NOT NULL UNIQUE,
  email        TEXT NOT NULL,
  first_name   TEXT,
  last_name    TEXT,
  phone        TEXT,
  pm_policy    TEXT NOT NULL,
  phone_public INTEGER NOT NULL,
  picture      TEXT,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL,
  version      INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS rm_sessions (
  session_id TEXT PRIMARY KEY,
  user_id    TEXT NOT NULL,
  refresh_id TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  started_at TEXT NOT NULL,
  revoked    TEXT
);
CREATE INDEX IF NOT EXISTS rm_sessions_by_user ON rm_sessions (user_id) WHERE revoked IS NULL;

CREATE TABLE IF NOT EXISTS rm_inbox (
  owner_id  TEXT    NOT NULL,
  position  INTEGER NOT NULL,
  id        TEXT    NOT NULL,
  from_id   TEXT    NOT NULL,
  from_name TEXT    NOT NULL,
  to_id     TEXT    NOT NULL,
  to_name   TEXT    NOT NULL,
  text      TEXT    NOT NULL,
  sent_at   TEXT    NOT NULL,
  PRIMARY KEY (owner_id, position)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS rm_conversations (
  pair      TEXT    NOT NULL,
  position  INTEGER NOT NULL,
  id        TEXT    NOT NULL,
  from_id   TEXT    NOT NULL,
  from_name TEXT    NOT NULL,
  to_id     TEXT    NOT NULL,
  to_name   TEXT    NOT NULL,
  text      TEXT    NOT NULL,
  sent_at   TEXT    NOT NULL,
  PRIMARY KEY (pair, position)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS rm_conversations_by_id ON rm_conversations (id);

CREATE TABLE IF NOT EXISTS rm_chat (
  position  INTEGER PRIMARY KEY,
  id        TEXT NOT NULL,
  from_id   TEXT NOT NULL,
  from_name TEXT NOT NULL,
  text      TEXT NOT NULL,
  sent_at   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rm_chat_by_id ON rm_chat (id);
`;

/** Tables each projection owns, cleared when it is reset. */
export const PROJECTION_TABLES: Record<string, string[]> = {
  users: ['rm_users'],
  sessions: ['rm_sessions'],
  inbox: ['rm_inbox'],
  conversations: ['rm_conversations'],
  chat: ['rm_chat'],
};

export function migrate(db: Database.Database): void {
  db.exec(SCHEMA);
}

/**
 * WAL lets readers run beside the writer. The events connection syncs every commit to disk (an
 * acknowledged event survives power loss); read models are rebuilt from events, so theirs need not.
 */
export function configure(db: Database.Database, synchronous: 'FULL' | 'NORMAL'): void {
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = OFF');
}
