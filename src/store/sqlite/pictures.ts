import type Database from 'better-sqlite3';
import type { PictureStore, StoredPicture } from '../ports';

export class SqlitePictureStore implements PictureStore {
  private readonly insert;
  private readonly select;
  private readonly remove;

  constructor(db: Database.Database) {
    this.insert = db.prepare('INSERT OR IGNORE INTO pictures (id, content_type, bytes) VALUES (?, ?, ?)');
    this.remove = db.prepare('DELETE FROM pictures WHERE id = ?');
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

  async delete(id: string): Promise<void> {
    this.remove.run(id);
  }
}
