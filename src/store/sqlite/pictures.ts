import type Database from 'better-sqlite3';
import type { PictureStore, StoredPicture } from '../ports';

export class SqlitePictureStore implements PictureStore {
  private readonly insert;
  private readonly select;

  constructor(db: Database.Database) {
    this.insert = db.prepare('INSERT OR IGNORE INTO pictures (id, content_type, bytes) VALUES (?, ?, ?)');
    this.select = db.prepare<[string], { content_type: string; bytes: Buffer }>(
      'SELECT content_type, bytes FROM pictures WHERE id = ?',
    );
  }

  async put(id: string, contentType: string, bytes: Buffer): Promise<void> {
    this.insert.run(id, contentType, bytes);
  }

  async get(id: string): Promise<StoredPicture | null> {
    return this.select.get(id) ?? null;
  }
}
