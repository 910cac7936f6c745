import Database from 'better-sqlite3';
import { sqliteFileIn } from '../../src/store/sqlite';

/** Every table of the embedded database whose name starts with `prefix`. */
export function tableNames(dataDir: string, prefix = 'rm_'): string[] {
  const db = new Database(sqliteFileIn(dataDir), { readonly: true });
  try {
    return (
      db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE ? ORDER BY name")
        .all(`${prefix}%`) as { name: string }[]
    ).map((r) => r.name);
  } finally {
    db.close();
  }
}

/**
 * Every read-model table (rm_*) and the checkpoints, each as its rows in a stable order: what a
 * test compares to show two ways of building read models give the same result.
 */
export function readModelContents(dataDir: string): Record<string, unknown[]> {
  const db = new Database(sqliteFileIn(dataDir), { readonly: true });
  try {
    const contents: Record<string, unknown[]> = {};
    for (const name of [...tableNames(dataDir), 'checkpoints']) {
      const columns = (db.prepare(`PRAGMA table_info(${name})`).all() as { name: string }[]).map((c) => c.name);
      contents[name] = db.prepare(`SELECT * FROM ${name} ORDER BY ${columns.join(', ')}`).all();
    }
    return contents;
  } finally {
    db.close();
  }
}

/** Position of the last event in the embedded log (0 when empty). */
export function logHead(dataDir: string): number {
  const db = new Database(sqliteFileIn(dataDir), { readonly: true });
  try {
    return (db.prepare('SELECT max(position) AS p FROM events').get() as { p: number | null }).p ?? 0;
  } finally {
    db.close();
  }
}
