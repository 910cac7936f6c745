import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { StoredEvent } from '../../events';
import { upcast, CURRENT_SCHEMA_VERSION, type RawEvent } from '../../events/upcasters';
import { LogFollower } from '../log-follower';
import { giveWritersATurn } from './turns';
import { WalSync } from './wal-sync';
import {
  ConcurrencyError,
  ImportConflictError,
  type AppendOptions,
  type AppendResult,
  type BatchHandler,
  type EventStore,
  type LoadedStreams,
  type StreamAppend,
  type SubscribeOptions,
  type Subscription,
} from '../ports';

interface EventRow {
  position: number;
  id: string;
  stream: string;
  version: number;
  type: string;
  schema_version: number;
  time: string;
  data: string;
  metadata: string;
}

interface PendingAppend {
  appends: StreamAppend[];
  options: AppendOptions;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

const toEvent = (row: EventRow): StoredEvent =>
  upcast({
    ...row,
    data: JSON.parse(row.data),
    metadata: JSON.parse(row.metadata),
  });

/** Positions of one group commit that is written but not yet on disk. */
interface Unsynced {
  first: number;
  last: number;
}

/**
 * The event log in one SQLite table. Appends that arrive in the same turn of the event loop are
 * committed together in one transaction (group commit), each inside its own savepoint so that one
 * command's version conflict does not undo the others. A commit is acknowledged, and shown to
 * subscribers, only once it is on disk (WalSync: the fsync runs off the event loop); until then no
 * reader is handed its events.
 */
export class SqliteEventStore implements EventStore {
  private queue: PendingAppend[] = [];
  private flushScheduled = false;
  private readonly followers = new Set<LogFollower>();
  private readonly stmts;
  private readonly appendOne;
  private readonly commitBatch;
  private readonly importBatch;
  private readonly streamReaders = new Map<number, Database.Statement<string[], EventRow>>();
  private readonly wal: WalSync;
  /** Group commits waiting for their fsync, oldest first. */
  private unsynced: Unsynced[] = [];

  /**
   * `pollIntervalMs`: how often an idle follower reads the log for other processes' appends (a read of
   * an indexed range: cheap, and read-after-write across instances waits on it).
   */
  constructor(
    private readonly db: Database.Database,
    private readonly pollIntervalMs = 50,
  ) {
    this.wal = new WalSync(db.memory ? null : `${db.name}-wal`);
    this.stmts = {
      version: db.prepare<[string], { v: number | null }>('SELECT max(version) AS v FROM events WHERE stream = ?'),
      insert: db.prepare(
        'INSERT INTO events (id, stream, version, type, schema_version, time, data, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      readAll: db.prepare<[number, number], EventRow>(
        'SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?',
      ),
      readAllBefore: db.prepare<[number, number, number], EventRow>(
        'SELECT * FROM events WHERE position > ? AND position < ? ORDER BY position LIMIT ?',
      ),
      head: db.prepare<[], { p: number | null }>('SELECT max(position) AS p FROM events'),
      insertExported: db.prepare(
        'INSERT INTO events (position, id, stream, version, type, schema_version, time, data, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
    };
    this.importBatch = db.transaction((events: RawEvent[]) => this.importEventsNow(events));
    this.appendOne = db.transaction((item: PendingAppend) => this.insert(item));
    const commitTx = db.transaction((batch: PendingAppend[]) =>
      batch.map((item) => {
        try {
          return { ok: true as const, result: this.appendOne(item) };
        } catch (error) {
          return { ok: false as const, error };
        }
      }),
    );
    // IMMEDIATE: take the write lock (waiting up to busy_timeout for another process) before
    // reading versions, so the read-to-write upgrade can never fail with SQLITE_BUSY_SNAPSHOT.
    this.commitBatch = (batch: PendingAppend[]) => commitTx.immediate(batch);
  }

  append(appends: StreamAppend[], options: AppendOptions): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ appends, options, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    let outcomes;
    try {
      outcomes = this.commitBatch(batch);
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    const committed: StoredEvent[] = [];
    const succeeded: { item: PendingAppend; result: AppendResult }[] = [];
    outcomes.forEach((outcome, i) => {
      if (outcome.ok) {
        committed.push(...outcome.result.events);
        succeeded.push({ item: batch[i], result: outcome.result });
      } else {
        batch[i].reject(outcome.error);
      }
    });
    if (committed.length === 0) {
      for (const { item, result } of succeeded) item.resolve(result);
      return;
    }
    const unsynced = { first: committed[0].position, last: committed[committed.length - 1].position };
    this.unsynced.push(unsynced);
    this.wal.durable().then(
      () => {
        this.unsynced = this.unsynced.filter((u) => u !== unsynced);
        for (const { item, result } of succeeded) item.resolve(result);
        for (const follower of this.followers) follower.push(committed);
      },
      (error: unknown) => {
        // Written but not known to be on disk: refuse the acknowledgement; followers find the
        // events by reading once nothing before them is pending.
        this.unsynced = this.unsynced.filter((u) => u !== unsynced);
        for (const { item } of succeeded) item.reject(error);
        for (const follower of this.followers) follower.notify();
      },
    );
  }

  /** First position not yet on disk, if a commit is waiting for its fsync. */
  private get firstUnsynced(): number | undefined {
    return this.unsynced[0]?.first;
  }

  private insert({ appends, options }: PendingAppend): AppendResult {
    const events: StoredEvent[] = [];
    const metadata = JSON.stringify(options.metadata);
    for (const { stream, expectedVersion, events: newEvents } of appends) {
      const actual = this.stmts.version.get(stream)?.v ?? 0;
      if (expectedVersion !== 'any' && expectedVersion !== actual)
        throw new ConcurrencyError(stream, expectedVersion, actual);
      let version = actual;
      for (const event of newEvents) {
        version += 1;
        const id = randomUUID();
        const schemaVersion = CURRENT_SCHEMA_VERSION[event.type];
        const info = this.stmts.insert.run(
          id,
          stream,
          version,
          event.type,
          schemaVersion,
          options.time,
          JSON.stringify(event.data),
          metadata,
        );
        events.push({
          ...event,
          id,
          stream,
          version,
          position: Number(info.lastInsertRowid),
          time: options.time,
          metadata: options.metadata,
          schema_version: schemaVersion,
        });
      }
    }
    return { events, position: events.length > 0 ? events[events.length - 1].position : 0 };
  }

  async importEvents(events: RawEvent[]): Promise<void> {
    if (events.length === 0) return;
    const started = performance.now();
    this.importBatch.immediate(events);
    await this.wal.durable();
    // An import is a tool's bulk write: let a live server's appends in between its batches.
    await giveWritersATurn(started);
    // Followers in this process read the new events back from the log.
    for (const follower of this.followers) follower.notify();
  }

  private importEventsNow(events: RawEvent[]): void {
    let last = this.stmts.head.get()?.p ?? 0;
    for (const e of events) {
      if (e.position <= last) {
        throw new ImportConflictError(
          e.position,
          `position ${e.position} is not after ${last} (the log's head or the previous event): the log only grows at its end`,
        );
      }
      try {
        this.stmts.insertExported.run(
          e.position,
          e.id,
          e.stream,
          e.version,
          e.type,
          e.schema_version,
          e.time,
          JSON.stringify(e.data),
          JSON.stringify(e.metadata),
        );
      } catch (error) {
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
          throw new ImportConflictError(
            e.position,
            `stream ${e.stream} already has a version ${e.version} (event at position ${e.position})`,
          );
        }
        throw error;
      }
      last = e.position;
    }
  }

  async readStreams(streams: string[]): Promise<LoadedStreams> {
    const rows = this.streamReader(streams.length).all(...streams);
    // A decision must not rest on an event that could still be lost: wait for its fsync.
    const unsynced = this.firstUnsynced;
    if (unsynced !== undefined && rows.some((row) => row.position >= unsynced)) await this.wal.durable();
    const versions = new Map(streams.map((s) => [s, 0]));
    const events = rows.map((row) => {
      versions.set(row.stream, Math.max(versions.get(row.stream) ?? 0, row.version));
      return toEvent(row);
    });
    return { events, versions };
  }

  private streamReader(count: number): Database.Statement<string[], EventRow> {
    let stmt = this.streamReaders.get(count);
    if (!stmt) {
      const marks = Array.from({ length: count }, () => '?').join(', ');
      stmt = this.db.prepare<string[], EventRow>(`SELECT * FROM events WHERE stream IN (${marks}) ORDER BY position`);
      this.streamReaders.set(count, stmt);
    }
    return stmt;
  }

  async readAll(afterPosition: number, limit: number): Promise<StoredEvent[]> {
    const unsynced = this.firstUnsynced;
    const rows =
      unsynced === undefined
        ? this.stmts.readAll.all(afterPosition, limit)
        : this.stmts.readAllBefore.all(afterPosition, unsynced, limit);
    return rows.map(toEvent);
  }

  /** The last position on disk. */
  async headPosition(): Promise<number> {
    const unsynced = this.firstUnsynced;
    return unsynced !== undefined ? unsynced - 1 : (this.stmts.head.get()?.p ?? 0);
  }

  subscribe(afterPosition: number, handler: BatchHandler, options?: SubscribeOptions): Subscription {
    const follower = new LogFollower(
      { readAll: (after, limit) => this.readAll(after, limit), pollIntervalMs: this.pollIntervalMs },
      afterPosition,
      handler,
      options,
      (f) => this.followers.delete(f),
    );
    this.followers.add(follower);
    return follower;
  }

  /** Commits queued appends and waits until they are on disk, then stops every subscription. */
  async close(): Promise<void> {
    if (this.queue.length > 0) this.flush();
    if (this.unsynced.length > 0) await this.wal.durable().catch(() => {});
    await Promise.all([...this.followers].map((f) => f.stop()));
    await this.wal.close();
  }
}
