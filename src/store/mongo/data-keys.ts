import { Binary, type Collection, type Db, type MongoClient } from 'mongodb';
import type { DataKeyStore, StoredDataKey } from '../data-key-port';
import type { RawEvent } from '../../events/upcasters';
import type { PrivacyStore, RewrittenEvent } from '../ports';
import type { EventDoc } from './event-doc';
import { TRANSACTION_OPTIONS } from './event-doc';
import { EVENTS } from './schema';

/** The key store's collections: outside the event log, backed up and moved with it (docs/privacy.md). */
export const DATA_KEYS = 'data_keys';
export const PRIVACY_META = 'privacy_meta';

interface KeyDoc {
  _id: string;
  wrapped: Binary | null;
  erased_at: string | null;
}

const MAJORITY = { writeConcern: { w: 'majority' as const } };

const toKey = (d: KeyDoc): StoredDataKey => ({
  user_id: d._id,
  wrapped: d.wrapped ? Buffer.from(d.wrapped.value()) : null,
  erased_at: d.erased_at,
});

class MongoDataKeys implements DataKeyStore {
  private readonly keys: Collection<KeyDoc>;
  private readonly meta: Collection<{ _id: string; value: string }>;

  constructor(db: Db) {
    this.keys = db.collection<KeyDoc>(DATA_KEYS);
    this.meta = db.collection(PRIVACY_META);
  }

  async get(userId: string): Promise<StoredDataKey | null> {
    const doc = await this.keys.findOne({ _id: userId });
    return doc ? toKey(doc) : null;
  }

  async create(userId: string, wrapped: Buffer): Promise<StoredDataKey> {
    // Two instances making a user's first key at once: one insert wins, both read it back.
    await this.keys.updateOne(
      { _id: userId },
      { $setOnInsert: { wrapped: new Binary(wrapped), erased_at: null } },
      { upsert: true, ...MAJORITY },
    );
    return (await this.get(userId))!;
  }

  async erase(userId: string, time: string): Promise<void> {
    await this.keys.updateOne({ _id: userId, erased_at: null }, { $set: { wrapped: null, erased_at: time } }, MAJORITY);
    await this.keys.updateOne(
      { _id: userId },
      { $setOnInsert: { wrapped: null, erased_at: time } },
      { upsert: true, ...MAJORITY },
    );
  }

  async *list(): AsyncIterable<StoredDataKey> {
    for await (const doc of this.keys.find({}).sort({ _id: 1 })) yield toKey(doc);
  }

  async importKeys(keys: StoredDataKey[]): Promise<void> {
    if (keys.length === 0) return;
    // A tombstone always wins; an existing key is never replaced by another.
    await this.keys.bulkWrite(
      keys.map((k) =>
        k.wrapped === null
          ? {
              updateOne: {
                filter: { _id: k.user_id },
                update: { $set: { wrapped: null, erased_at: k.erased_at } },
                upsert: true,
              },
            }
          : {
              updateOne: {
                filter: { _id: k.user_id },
                update: { $setOnInsert: { wrapped: new Binary(k.wrapped), erased_at: null } },
                upsert: true,
              },
            },
      ),
      { ordered: true, ...MAJORITY },
    );
  }

  async getMeta(name: string): Promise<string | null> {
    return (await this.meta.findOne({ _id: name }))?.value ?? null;
  }

  async setMeta(name: string, value: string): Promise<void> {
    await this.meta.updateOne({ _id: name }, { $set: { value } }, { upsert: true, ...MAJORITY });
  }
}

export class MongoPrivacyStore implements PrivacyStore {
  readonly keys: DataKeyStore;

  constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
  ) {
    this.keys = new MongoDataKeys(db);
  }

  async readRaw(afterPosition: number, limit: number): Promise<RawEvent[]> {
    const docs = await this.db
      .collection<EventDoc>(EVENTS)
      .find({ _id: { $gt: afterPosition } })
      .sort({ _id: 1 })
      .limit(limit)
      .toArray();
    return docs.map(({ _id, ...rest }) => ({ ...rest, position: _id }));
  }

  async rewriteEvents(events: RewrittenEvent[]): Promise<void> {
    if (events.length === 0) return;
    const collection = this.db.collection<EventDoc>(EVENTS);
    await this.client.withSession((session) =>
      session.withTransaction(async () => {
        const result = await collection.bulkWrite(
          events.map((e) => ({
            updateOne: { filter: { _id: e.position }, update: { $set: { stream: e.stream, data: e.data } } },
          })),
          { session, ordered: true },
        );
        if (result.matchedCount !== events.length)
          throw new Error(`only ${result.matchedCount} of ${events.length} events to rewrite exist`);
      }, TRANSACTION_OPTIONS),
    );
  }
}
