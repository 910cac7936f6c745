import type { Db } from 'mongodb';
import { ownerOfOp } from '../../read-models';
import { SHADOW_SUFFIX, type ReadModelOp, type ShadowReadModel } from '../read-models';
import type { Checkpoints } from './checkpoints';
import { applyOps, type CollectionNames } from './read-model-ops';
import {
  NAMESPACE_NOT_FOUND,
  READ_MODEL_INDEXES,
  ensureCollections,
  hasCode,
  type ReadModelCollection,
} from './schema';

/**
 * A projection's collections rebuilt as rm_<name>__rebuild beside the live ones. Queries never see
 * them until promote() renames them over the live ones. Applies are not transactions: ops are
 * idempotent, and an interrupted rebuild is discarded anyway.
 */
export class MongoShadow implements ShadowReadModel {
  private current = 0;
  private finished = false;
  private readonly names: CollectionNames;

  private constructor(
    private readonly db: Db,
    private readonly checkpoints: Checkpoints,
    private readonly projection: string,
    private readonly collections: ReadModelCollection[],
  ) {
    this.names = (c) => (collections.includes(c) ? c + SHADOW_SUFFIX : c);
  }

  /** Fresh, empty shadow collections with the live ones' indexes; leftovers of an interrupted rebuild are dropped first. */
  static async create(
    db: Db,
    checkpoints: Checkpoints,
    projection: string,
    collections: ReadModelCollection[],
  ): Promise<MongoShadow> {
    const shadow = new MongoShadow(db, checkpoints, projection, collections);
    await shadow.drop();
    const names = collections.map((c) => c + SHADOW_SUFFIX);
    await ensureCollections(db, names);
    for (const c of collections) await db.collection(c + SHADOW_SUFFIX).createIndexes(READ_MODEL_INDEXES[c]);
    return shadow;
  }

  get position(): number {
    return this.current;
  }

  async apply(ops: ReadModelOp[], position: number): Promise<void> {
    this.assertOpen();
    if (position < this.current)
      throw new Error(`shadow of ${this.projection} is at ${this.current}; cannot go back to ${position}`);
    const foreign = ops.find((op) => ownerOfOp(op.kind)?.projection.name !== this.projection);
    if (foreign) {
      const tables = ownerOfOp(foreign.kind)?.tables.join(', ') ?? `no read model (${foreign.kind})`;
      throw new Error(`projection ${this.projection} wrote to ${tables}, which it does not own`);
    }
    await applyOps(this.db, this.names, ops);
    this.current = position;
  }

  /**
   * Renames the shadow collections over the live ones and sets the checkpoint to the shadow's
   * position, with live applies fenced off meanwhile. Events appended since are then applied by
   * the projection runner from that checkpoint, so promoting a shadow that is a little behind the
   * head is safe here (the engine cannot check the head atomically with the renames anyway).
   */
  async promote(): Promise<void> {
    this.assertOpen();
    const live = await this.checkpoints.position(this.projection);
    await this.checkpoints.fenced(
      this.projection,
      async () => {
        for (const c of this.collections) await this.db.renameCollection(c + SHADOW_SUFFIX, c, { dropTarget: true });
      },
      this.current,
      Math.min(live, this.current),
    );
    this.finished = true;
  }

  async discard(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    await this.drop();
  }

  private async drop(): Promise<void> {
    for (const c of this.collections) {
      try {
        await this.db.collection(c + SHADOW_SUFFIX).drop();
      } catch (error) {
        if (!hasCode(error, NAMESPACE_NOT_FOUND)) throw error;
      }
    }
  }

  private assertOpen(): void {
    if (this.finished) throw new Error(`shadow of ${this.projection} was already promoted or discarded`);
  }
}
