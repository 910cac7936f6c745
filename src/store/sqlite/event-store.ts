import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { StoredEvent } from '../../events';
import { upcast, CURRENT_SCHEMA_VERSION, type RawEvent } from '../../events/upcasters';
import { LogFollower } from '../log-follower';
import {
  ConcurrencyError, ImportConflictError, type AppendOptions, type AppendResult, type BatchHandler, type EventStore,
  type LoadedStreams, type StreamAppend, type SubscribeOptions, type Subscription,
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

const toEvent = (row: EventRow): StoredEvent => upcast({
  ...row, data: JSON.parse(row.data), metadata: JSON.parse(row.metadata),
} as RawEvent);

/**
 * The event log in one SQLite table. Appends that arrive in the same turn of the event loop are
 * committed together in one transaction (group commit: one fsync for many commands), each inside
 * its own savepoint so that one command's version conflict does not undo the others.
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

  constructor(private readonly db: Database.Database, private readonly pollIntervalMs = 500) {
    this.stmts = {
      version: db.prepare<[string], { v: number | null }>('SELECT max(version) AS v FROM events WHERE stream = ?'),
      insert: db.prepare('INSERT INTO events (id, stream, version, type, schema_version, time, data, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      readAll: db.prepare<[number, number], EventRow>('SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?'),
      head: db.prepare<[], { p: number | null }>('SELECT max(position) AS p FROM events'),
      insertExported: db.prepare('INSERT INTO events (position, id, stream, version, type, schema_version, time, data, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
    };
    this.importBatch = db.transaction((events: RawEvent[]) => this.importEventsNow(events));
    this.appendOne = db.transaction((item: PendingAppend) => this.insert(item));
    this.commitBatch = db.transaction((batch: PendingAppend[]) => batch.map((item) => {
      try {
        return { ok: true as const, result: this.appendOne(item) };
      } catch (error) {
        return { ok: false as const, error };
      }
    }));
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
    outcomes.forEach((outcome, i) => {
      if (outcome.ok) {
        committed.push(...outcome.result.events);
        batch[i]!.resolve(outcome.result);
      } else {
        batch[i]!.reject(outcome.error);
      }
    });
    if (committed.length > 0) for (const follower of this.followers) follower.push(committed);
  }

  private insert({ appends, options }: PendingAppend): AppendResult {
    const events: StoredEvent[] = [];
    const metadata = JSON.stringify(options.metadata);
    for (const { stream, expectedVersion, events: newEvents } of appends) {
      const actual = this.stmts.version.get(stream)?.v ?? 0;
      if (expectedVersion !== 'any' && expectedVersion !== actual) throw new ConcurrencyError(stream, expectedVersion, actual);
      let version = actual;
      for (const event of newEvents) {
        version += 1;
        const id = randomUUID();
        const schemaVersion = CURRENT_SCHEMA_VERSION[event.type];
        const info = this.stmts.insert.run(id, stream, version, event.type, schemaVersion, options.time, JSON.stringify(event.data), metadata);
        events.push({
          ...event, id, stream, version, position: Number(info.lastInsertRowid), time: options.time,
          metadata: options.metadata, schema_version: schemaVersion,
        } as StoredEvent);
      }
    }
    return { events, position: events.length > 0 ? events[events.length - 1]!.position : 0 };
  }

  async importEvents(events: RawEvent[]): Promise<void> {
    if (events.length === 0) return;
    this.importBatch.immediate(events);
    // Followers in this process read the new events back from the log.
    for (const follower of this.followers) follower.notify();
  }

  private importEventsNow(events: RawEvent[]): void {
    let last = this.stmts.head.get()?.p ?? 0;
    for (const e of events) {
      if (e.position <= last) {
        throw new ImportConflictError(e.position, `position ${e.position} is not after ${last} (the log's head or the previous event): the log only grows at its end`);
      }
      try {
        this.stmts.insertExported.run(e.position, e.id, e.stream, e.version, e.type, e.schema_version, e.time, JSON.stringify(e.data), JSON.stringify(e.metadata));
      } catch (error) {
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
          throw new ImportConflictError(e.position, `stream ${e.stream} already has a version ${e.version} (event at position ${e.position})`);
        }
        throw error;
      }
      last = e.position;
    }
  }

  async readStreams(streams: string[]): Promise<LoadedStreams> {
    const rows = this.streamReader(streams.length).all(...streams);
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
    return this.stmts.readAll.all(afterPosition, limit).map(toEvent);
  }

  async headPosition(): Promise<number> {
    return this.stmts.head.get()?.p ?? 0;
  }

  subscribe(afterPosition: number, handler: BatchHandler, options?: SubscribeOptions): Subscription {
    const follower = new LogFollower(
      { readAll: (after, limit) => this.readAll(after, limit), pollIntervalMs: this.pollIntervalMs },
      afterPosition, handler, options, (f) => this.followers.delete(f),
    );
    this.followers.add(follower);
    return follower;
  }

  /** Waits for queued appends to commit, then stops every subscription. */
  async close(): Promise<void> {
    if (this.queue.length > 0) this.flush();
    await Promise.all([...this.followers].map((f) => f.stop()));
  }
}
