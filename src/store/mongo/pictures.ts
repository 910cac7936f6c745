import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GridFSBucket, type Db, type GridFSFile } from 'mongodb';
import type { PictureStore, StoredPicture } from '../ports';
import { PICTURE_BUCKET } from './schema';

/**
 * Pictures in GridFS (bucket `pictures`), one file per picture named by the sha256 of its bytes.
 * Two concurrent uploads of one new picture may both store it: the copies are identical, and a
 * crashed upload leaves no file document, so readers only ever see complete pictures.
 */
export class MongoPictureStore implements PictureStore {
  private readonly bucket: GridFSBucket;

  constructor(db: Db) {
    this.bucket = new GridFSBucket(db, { bucketName: PICTURE_BUCKET, writeConcern: { w: 'majority' } });
  }

  async put(id: string, contentType: string, bytes: Buffer): Promise<void> {
    if (await this.find(id)) return;
    await pipeline(
      Readable.from([bytes], { objectMode: false }),
      this.bucket.openUploadStream(id, { metadata: { contentType } }),
    );
  }

  async get(id: string): Promise<StoredPicture | null> {
    const file = await this.find(id);
    if (!file) return null;
    const chunks: Buffer[] = [];
    for await (const chunk of this.bucket.openDownloadStream(file._id)) chunks.push(chunk as Buffer);
    return { content_type: String(file.metadata?.contentType), bytes: Buffer.concat(chunks) };
  }

  /** Every copy (two concurrent uploads may have stored two): GridFS deletes the file and its chunks. */
  async delete(id: string): Promise<void> {
    for await (const file of this.bucket.find({ filename: id })) await this.bucket.delete(file._id);
  }

  private find(id: string): Promise<GridFSFile | null> {
    return this.bucket.find({ filename: id }, { limit: 1, sort: { uploadDate: 1 } }).next();
  }
}
