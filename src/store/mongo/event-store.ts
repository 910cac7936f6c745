import { randomUUID } from 'node:crypto';
import type { ClientSession, Collection, Db, MongoClient } from 'mongodb';
import type { Logger } from 'pino';
import type { StoredEvent } from '../../events';
import { CURRENT_SCHEMA_VERSION, type RawEvent } from '../../events/upcasters';
import { LogFollower } from '../log-follower';
import {
  ConcurrencyError,
  type AppendOptions,
  type AppendResult,
  type BatchHandler,
  type EventStore,
  type LoadedStreams,
  type StreamAppend,
  type SubscribeOptions,
  type Subscription,
} from '../ports';
import { ChangeFeed } from './change-feed';
import { TRANSACTION_OPTIONS, toEvent, type EventDoc } from './event-doc';
import { commitInGroup, duplicateAsTransient, inTransaction, type Outcome, type PendingAppend } from './group-commit';
import { insertExported } from './import-events';
import { COUNTERS, EVENTS, logHead } from './schema';

/** Most appends committed in one transaction (a transaction should stay small and short). */
const MAX_GROUP = 200;

export interface MongoEventStoreOptions {
  /** How often an idle subscription reads the log in case the change stream missed something. */
  pollIntervalMs: number;
  /** Where the change feed reports its failures. */
  log?: Logger;
}

/**
 * The event log in the `events` collection. Positions come from a counter document incremented in
 * the same transaction as the inserts, so every appending transaction writes that one document:
 * MongoDB serialises them (a concurrent one aborts with a write conflict and is retried), which
 * makes position order equal commit order and leaves no gaps, across any number of app instances.
 *
 * Appends that arrive while a transaction is in flight wait and are committed together in the
 * next one (group commit: one round of the counter for many commands). Expected versions are
 * checked per append inside the transaction, so one command's conflict fails that command only.
 * An append too large to store fails before the transaction; a group whose commit may have
 * happened is never run again (see group-commit.ts).
 */
export class MongoEventStore implements EventStore {
  private readonly events: Collection<EventDoc>;
  private readonly counters: Collection<{ _id: string; position: number }>;
  private readonly followers = new Set<LogFollower>();
  private readonly feed: ChangeFeed;
  private queue: PendingAppend[] = [];
  private draining: Promise<void> | null = null;

  constructor(
    private readonly client: MongoClient,
    db: Db,
    private readonly options: MongoEventStoreOptions,
  ) {
    this.events = db.collection<EventDoc>(EVENTS);
    this.counters = db.collection(COUNTERS);
    this.feed = new ChangeFeed(
      client,
      this.events,
      {
        onEvents: (events) => {
          for (const follower of this.followers) follower.push(events);
        },
        onDiscontinuity: () => {
          for (const follower of this.followers) follower.notify();
        },
      },
      options.log,
    );
  }

  feedStatus(): { mode: 'push' | 'polling'; since?: string; error?: string } {
    return this.feed.status();
  }

  /** Starts following the collection; call before the first subscribe(). */
  start(): Promise<void> {
    return this.feed.start();
  }

  append(appends: StreamAppend[], options: AppendOptions): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ appends, options, resolve, reject });
      // Wait a turn of the event loop so that appends made together are committed together.
      this.draining ??= new Promise<void>((done) => setImmediate(done)).then(() => this.drain());
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const group = this.queue.splice(0, MAX_GROUP);
        await commitInGroup(group, (items) => this.transaction((session) => this.insertGroup(items, session)));
      }
    } finally {
      this.draining = null;
    }
  }

  /** May run more than once: withTransaction retries it after a write conflict. */
  private async insertGroup(group: PendingAppend[], session: ClientSession): Promise<Outcome[]> {
    const versions = await this.versionsOf(
      group.flatMap((item) => item.appends.map((a) => a.stream)),
      session,
    );
    const accepted: { index: number; planned: Omit<EventDoc, '_id'>[] }[] = [];
    const outcomes: Outcome[] = group.map((item, index) => {
      const planned = plan(item, versions);
      if (planned instanceof ConcurrencyError) return { ok: false, error: planned };
      accepted.push({ index, planned });
      return { ok: true, result: { events: [], position: 0 } };
    });
    const count = accepted.reduce((n, a) => n + a.planned.length, 0);
    if (count === 0) return outcomes;

    let position = await this.reservePositions(count, session);
    const docs: EventDoc[] = [];
    for (const { index, planned } of accepted) {
      const stored = planned.map((doc) => ({ _id: ++position, ...doc }));
      docs.push(...stored);
      const events = stored.map(toStoredEvent);
      outcomes[index] = {
        ok: true,
        result: { events, position: events.length > 0 ? events[events.length - 1].position : 0 },
      };
    }
    await this.events.insertMany(docs, { session, ordered: true });
    return outcomes;
  }

  /**
   * Moves the counter on by `count` and returns the position before. A missing counter (deleted, or
   * a database restored without it) starts at the log's head: starting at 0 would make every append
   * collide with stored positions. Of two transactions creating it, one is retried.
   */
  private async reservePositions(count: number, session: ClientSession): Promise<number> {
    const counter = await this.counters.findOneAndUpdate(
      { _id: EVENTS },
      { $inc: { position: count } },
      { session, returnDocument: 'after' },
    );
    if (counter) return counter.position - count;
    const head = await logHead(this.events, session);
    try {
      await this.counters.insertOne({ _id: EVENTS, position: head + count }, { session });
    } catch (error) {
      // Another instance created it after our snapshot: nothing of ours is stored; the next run finds it.
      throw duplicateAsTransient(error);
    }
    return head;
  }

  /** Current version of each stream, read inside the transaction. */
  private async versionsOf(streams: string[], session: ClientSession): Promise<Map<string, number>> {
    const unique = [...new Set(streams)];
    const versions = new Map(unique.map((s) => [s, 0]));
    // Sorted against the (stream, version) index so that the server can take one entry per stream.
    const rows = await this.events
      .aggregate<{ _id: string; version: number }>(
        [
          { $match: { stream: { $in: unique } } },
          { $sort: { stream: -1, version: -1 } },
          { $group: { _id: '$stream', version: { $first: '$version' } } },
        ],
        { session },
      )
      .toArray();
    for (const row of rows) versions.set(row._id, row.version);
    return versions;
  }

  /** See inTransaction: a commit that may have happened fails with CommitUnknownError. */
  private async transaction<T>(work: (session: ClientSession) => Promise<T>): Promise<T> {
    const session = this.client.startSession();
    try {
      return await inTransaction(session, () => work(session), TRANSACTION_OPTIONS);
    } finally {
      await session.endSession();
    }
  }

  async readStreams(streams: string[]): Promise<LoadedStreams> {
    const versions = new Map(streams.map((s) => [s, 0]));
    const docs = await this.events
      .find({ stream: { $in: streams } })
      .sort({ _id: 1 })
      .toArray();
    const events = docs.map((doc) => {
      versions.set(doc.stream, Math.max(versions.get(doc.stream) ?? 0, doc.version));
      return toEvent(doc);
    });
    return { events, versions };
  }

  async readAll(afterPosition: number, limit: number): Promise<StoredEvent[]> {
    if (limit <= 0) return []; // limit(0) would mean no limit
    // Majority reads: a follower never applies an event that a failover could still roll back.
    const docs = await this.events
      .find({ _id: { $gt: afterPosition } }, { readConcern: { level: 'majority' } })
      .sort({ _id: 1 })
      .limit(limit)
      .toArray();
    return docs.map(toEvent);
  }

  headPosition(): Promise<number> {
    return logHead(this.events);
  }

  async importEvents(events: RawEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.transaction((session) => insertExported(this.events, this.counters, events, session));
    // The change stream brings them too; subscriptions here need not wait for it.
    for (const follower of this.followers) follower.notify();
  }

  subscribe(afterPosition: number, handler: BatchHandler, options?: SubscribeOptions): Subscription {
    const follower = new LogFollower(
      { readAll: (after, limit) => this.readAll(after, limit), pollIntervalMs: this.options.pollIntervalMs },
      afterPosition,
      handler,
      options,
      (f) => this.followers.delete(f),
    );
    this.followers.add(follower);
    return follower;
  }

  /** Commits queued appends, stops every subscription, then the change stream. */
  async close(): Promise<void> {
    while (this.draining) await this.draining;
    await Promise.all([...this.followers].map((f) => f.stop()));
    await this.feed.close();
  }
}

/** The documents an append would insert, given the streams' versions (which it advances), or its conflict. */
function plan(
  { appends, options }: PendingAppend,
  versions: Map<string, number>,
): Omit<EventDoc, '_id'>[] | ConcurrencyError {
  const next = new Map(versions);
  const docs: Omit<EventDoc, '_id'>[] = [];
  for (const { stream, expectedVersion, events } of appends) {
    const actual = next.get(stream) ?? 0;
    if (expectedVersion !== 'any' && expectedVersion !== actual)
      return new ConcurrencyError(stream, expectedVersion, actual);
    let version = actual;
    for (const event of events) {
      docs.push({
        id: randomUUID(),
        stream,
        version: ++version,
        type: event.type,
        schema_version: CURRENT_SCHEMA_VERSION[event.type],
        time: options.time,
        data: event.data as Record<string, unknown>,
        metadata: options.metadata,
      });
    }
    next.set(stream, version);
  }
  for (const [stream, version] of next) versions.set(stream, version);
  return docs;
}

const toStoredEvent = ({ _id, ...doc }: EventDoc): StoredEvent => ({ ...doc, position: _id }) as StoredEvent;
