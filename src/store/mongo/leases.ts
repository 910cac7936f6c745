import { MongoServerError, type Collection, type Db, type Filter } from 'mongodb';
import type { Lease, LeaseStore } from '../ports';
import { DUPLICATE_KEY } from './schema';

export const LEASES = 'projection_leases';

interface LeaseDoc {
  _id: string;
  holder: string;
  expires_at: Date;
}

/**
 * Leases as documents of projection_leases, one per name. Expiry is computed and compared on the
 * server ($$NOW), so instances whose clocks disagree still agree on who holds a lease.
 */
export class MongoLeaseStore implements LeaseStore {
  private readonly collection: Collection<LeaseDoc>;

  constructor(db: Db) {
    this.collection = db.collection<LeaseDoc>(LEASES);
  }

  async acquire(name: string, holder: string, ttlMs: number): Promise<boolean> {
    // Matches only a lease that is ours or expired; when it matches nothing the upsert tries to
    // insert `name` and meets the live holder's document: E11000 means someone else holds it.
    // Two instances racing to create it end the same way: one inserts, the other gets E11000.
    const filter = { _id: name, $or: [{ holder }, { $expr: { $lte: ['$expires_at', '$$NOW'] } }] } as Filter<LeaseDoc>;
    try {
      const doc = await this.collection.findOneAndUpdate(
        filter,
        [{ $set: { holder, expires_at: { $add: ['$$NOW', ttlMs] } } }],
        { upsert: true, returnDocument: 'after', projection: { holder: 1 } },
      );
      return doc?.holder === holder;
    } catch (error) {
      if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) return false;
      throw error;
    }
  }

  async release(name: string, holder: string): Promise<void> {
    await this.collection.deleteOne({ _id: name, holder });
  }

  async list(): Promise<Lease[]> {
    const docs = await this.collection.find({}).sort({ _id: 1 }).toArray();
    return docs.map((d) => ({ name: d._id, holder: d.holder, expires_at: d.expires_at }));
  }
}
