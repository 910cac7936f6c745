import { setTimeout as sleep } from 'node:timers/promises';
import type { ClientSession, Collection, Db } from 'mongodb';
import { CheckpointMovedError } from '../read-models';
import { CHECKPOINTS, DUPLICATE_KEY, hasCode } from './schema';

export interface CheckpointDoc {
  _id: string;
  position: number;
  /** Set while a reset or a promotion swaps the projection's collections: live applies wait. */
  fenced_since?: Date;
}

/** A fence older than this was left by a process that died mid-swap, and no longer holds. */
const FENCE_TTL_MS = 60_000;
/** How long an apply that met a fence waits before reporting it (the runner then tries again). */
const FENCE_BACKOFF_MS = 100;

export class Checkpoints {
  readonly collection: Collection<CheckpointDoc>;

  constructor(db: Db) {
    this.collection = db.collection<CheckpointDoc>(CHECKPOINTS);
  }

  async position(projection: string, session?: ClientSession): Promise<number> {
    return (await this.collection.findOne({ _id: projection }, { session }))?.position ?? 0;
  }

  /** The position inside a transaction, or null while a swap is fencing the projection off. */
  async positionUnlessFenced(
    projection: string,
    session: ClientSession,
  ): Promise<{ position: number; fenced: boolean }> {
    const doc = await this.collection.findOne({ _id: projection }, { session });
    const fenced = doc?.fenced_since !== undefined && Date.now() - doc.fenced_since.getTime() < FENCE_TTL_MS;
    if (fenced) await sleep(FENCE_BACKOFF_MS);
    return { position: doc?.position ?? 0, fenced };
  }

  /**
   * Moves the checkpoint from `from` (read earlier in this transaction) to `position`. A first save
   * races with another process's first save: the loser's upsert fails with E11000 on _id (a document
   * committed after its snapshot), which means the checkpoint moved. The position it moved to is
   * read outside the aborted transaction, for the message only.
   */
  async save(projection: string, from: number, position: number, session: ClientSession): Promise<void> {
    try {
      await this.collection.updateOne({ _id: projection }, { $set: { position } }, { upsert: true, session });
    } catch (error) {
      if (!hasCode(error, DUPLICATE_KEY)) throw error;
      const actual = await this.position(projection).catch(() => -1);
      throw new CheckpointMovedError(projection, from, actual);
    }
  }

  /**
   * Runs `swap` with the projection fenced off: a live apply in flight conflicts on this document
   * and fails its compare-and-set; later ones see the fence and fail until it lifts. Afterwards the
   * checkpoint is `done` (deleted when null); if the swap failed part-way it is `failed`, a position
   * every collection has reached, from which replaying the log converges.
   */
  async fenced(
    projection: string,
    swap: () => Promise<void>,
    done: number | null,
    failed: number | null,
  ): Promise<void> {
    await this.collection.updateOne(
      { _id: projection },
      { $set: { position: failed ?? 0, fenced_since: new Date() } },
      { upsert: true },
    );
    let end = failed;
    try {
      await swap();
      end = done;
    } finally {
      if (end === null) await this.collection.deleteOne({ _id: projection });
      else
        await this.collection.updateOne({ _id: projection }, { $set: { position: end }, $unset: { fenced_since: '' } });
    }
  }
}
