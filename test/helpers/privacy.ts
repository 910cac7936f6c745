import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { sqliteFileIn } from '../../src/store/sqlite';

/** Copies the WAL into the database and empties it, as an operator's checkpoint would. */
export function checkpoint(dataDir: string): void {
  const db = new Database(sqliteFileIn(dataDir));
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}

/** Every file under `dir`, with its raw bytes. */
function filesIn(dir: string): { file: string; bytes: Buffer }[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? filesIn(file) : [{ file, bytes: readFileSync(file) }];
  });
}

/** Where each needle occurs in the raw bytes of the files under `dir` (as UTF-8 and as UTF-16LE). */
export function rawHits(dir: string, needles: (string | Buffer)[]): string[] {
  const files = filesIn(dir);
  const hits: string[] = [];
  for (const needle of needles) {
    const forms = typeof needle === 'string' ? [Buffer.from(needle, 'utf8'), Buffer.from(needle, 'utf16le')] : [needle];
    for (const { file, bytes } of files) {
      if (forms.some((form) => bytes.includes(form))) hits.push(`${String(needle)} in ${path.basename(file)}`);
    }
  }
  return hits;
}

/** Rows of the event log as a replay sees them: what erasure and migration must leave alone. */
export function logShape(dataDir: string): unknown[] {
  const db = new Database(sqliteFileIn(dataDir), { readonly: true });
  try {
    return db
      .prepare('SELECT position, id, type, version, schema_version, time, metadata FROM events ORDER BY position')
      .all();
  } finally {
    db.close();
  }
}

/** The wrapped data key of a user, as the key store holds it. */
export function wrappedKey(dataDir: string, userId: string): Buffer | null {
  const db = new Database(sqliteFileIn(dataDir), { readonly: true });
  try {
    const row = db.prepare('SELECT wrapped FROM data_keys WHERE user_id = ?').get(userId) as
      { wrapped: Buffer | null } | undefined;
    return row?.wrapped ?? null;
  } finally {
    db.close();
  }
}
