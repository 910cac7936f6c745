import type { Db, MongoClient } from 'mongodb';
import { READ_MODELS, type ReadModelQueries } from '../../read-models';
import { withQueries } from '../../read-models/kit/read-model';
import { CheckpointMovedError, type ReadModelOp, type ReadModelStore, type ShadowReadModel } from '../read-models';
import { Checkpoints } from './checkpoints';
import { TRANSACTION_OPTIONS } from './event-doc';
import { applyOps, LIVE_COLLECTIONS } from './read-model-ops';
import { projectionCollections } from './schema';
import { MongoShadow } from './shadow';

/** Every read model's queries (see src/read-models/<name>/mongo.ts). */
function mongoQueries(db: Db): ReadModelQueries {
  return Object.assign({}, ...READ_MODELS.map((m) => m.mongo.queries(db))) as ReadModelQueries;
}

/** Read models in rm_* collections (indexes: src/read-models/<name>/mongo.ts), checkpoints beside them. */
export class MongoReadModels extends withQueries<ReadModelQueries>() implements ReadModelStore {
  private readonly checkpoints: Checkpoints;

  constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
  ) {
    super(mongoQueries(db));
    this.checkpoints = new Checkpoints(db);
  }

  async apply(projection: string, ops: ReadModelOp[], from: number, to: number): Promise<void> {
    const session = this.client.startSession();
    try {
      // A concurrent apply of the same projection (another instance) writes the same checkpoint
      // document: one of the two transactions conflicts, is retried, and then fails the check.
      await session.withTransaction(async () => {
        const { position, fenced } = await this.checkpoints.positionUnlessFenced(projection, session);
        if (position !== from || fenced) throw new CheckpointMovedError(projection, from, position);
        await applyOps(this.db, LIVE_COLLECTIONS, ops, session);
        await this.checkpoints.save(projection, from, to, session);
      }, TRANSACTION_OPTIONS);
    } finally {
      await session.endSession();
    }
  }

  checkpoint(projection: string): Promise<number> {
    return this.checkpoints.position(projection);
  }

  /** Not one transaction (a read model can outgrow one): fenced, then emptied, then the checkpoint deleted. */
  async reset(projection: string): Promise<void> {
    const collections = projectionCollections(projection);
    await this.checkpoints.fenced(
      projection,
      async () => {
        for (const name of collections) await this.db.collection(name).deleteMany({});
      },
      null,
      null,
    );
  }

  shadow(projection: string): Promise<ShadowReadModel> {
    return MongoShadow.create(this.db, this.checkpoints, projection, projectionCollections(projection));
  }
}
