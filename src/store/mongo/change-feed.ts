import { setTimeout as sleep } from 'node:timers/promises';
import type { ChangeStream, ChangeStreamDocument, Collection, MongoClient, ResumeToken, Timestamp } from 'mongodb';
import pino, { type Logger } from 'pino';
import type { StoredEvent } from '../../events';
import { toEvent, type EventDoc } from './event-doc';
import { CHANGE_STREAM_HISTORY_LOST, hasCode } from './schema';

export interface ChangeFeedListener {
  /** Events committed by any app instance, in commit (= position) order. */
  onEvents(events: StoredEvent[]): void;
  /** Some events may not have been (and will not be) delivered: read the log by position. */
  onDiscontinuity(): void;
}

/** Longest a getMore waits on the server for a change: bounds how long close() takes. */
const MAX_AWAIT_MS = 500;
const RETRY_MAX_MS = 5_000;

/** Whether pushed events arrive: see EventStore.feedStatus. */
export interface FeedStatus {
  mode: 'push' | 'polling';
  /** ISO time the feed stopped delivering (or, before it first answered, was started). */
  since?: string;
  /** The last failure's message. */
  error?: string;
}

/**
 * One change stream on `events` per app instance, shared by every subscription. It only speeds
 * delivery up: subscriptions (LogFollower) accept pushed events only when they continue exactly
 * where they are, and otherwise read the collection by position, which is the source of truth.
 *
 * It opens at an operation time taken before any subscription's catch-up read, so from the first
 * catch-up on every later commit is pushed. After a transient error the driver resumes with the
 * resume token it keeps; if that fails we resume from our own copy of the token, and if the oplog
 * no longer has it (ChangeStreamHistoryLost) we start again from now and tell subscriptions to read
 * by position what happened in between.
 *
 * Until the stream first answers, and from a failure until it answers again, it reports 'polling':
 * subscriptions then see other instances' events only through their poll of the log.
 */
export class ChangeFeed {
  private stream: ChangeStream<EventDoc, ChangeStreamDocument<EventDoc>> | null = null;
  private resumeToken: ResumeToken | null = null;
  private closed = false;
  private running: Promise<void> | null = null;
  /** Cuts a back-off sleep short on close(). */
  private readonly closing = new AbortController();
  private current: FeedStatus = { mode: 'polling', since: new Date().toISOString() };

  constructor(
    private readonly client: MongoClient,
    private readonly events: Collection<EventDoc>,
    private readonly listener: ChangeFeedListener,
    private readonly log: Logger = pino({ level: 'silent' }),
  ) {}

  status(): FeedStatus {
    return { ...this.current };
  }

  async start(): Promise<void> {
    const startAt = await this.operationTime();
    this.running = this.run(startAt);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.closing.abort();
    await this.stream?.close().catch(() => {});
    // The loop ends within a getMore's wait; if it is stuck on an unreachable server, closing the
    // client (next) ends that too, so do not wait for it longer than that.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.running,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, 2 * MAX_AWAIT_MS);
      }),
    ]);
    clearTimeout(timer);
  }

  private async run(initialStart: Timestamp | undefined): Promise<void> {
    let startAt = initialStart;
    let failures = 0;
    while (!this.closed) {
      let stream: ChangeStream<EventDoc, ChangeStreamDocument<EventDoc>> | null = null;
      try {
        stream = this.events.watch<EventDoc>([{ $match: { operationType: 'insert' } }], {
          maxAwaitTimeMS: MAX_AWAIT_MS,
          ...(this.resumeToken ? { resumeAfter: this.resumeToken } : startAt ? { startAtOperationTime: startAt } : {}),
        });
        this.stream = stream;
        while (!this.closed) {
          // tryNext answers null after an empty wait, which tells that the stream works.
          const change = await stream.tryNext();
          if (this.closed) break;
          failures = 0;
          this.pushing();
          if (change === null) {
            // The stream's position moves on while idle too: resuming from it re-reads less.
            this.resumeToken = stream.resumeToken ?? this.resumeToken;
            continue;
          }
          this.resumeToken = change._id;
          if (change.operationType !== 'insert') {
            // The collection was dropped or renamed: there is nothing to resume; start afresh.
            this.log.warn({ operation: change.operationType }, 'change stream on events invalidated; starting afresh');
            this.resumeToken = null;
            startAt = await this.operationTime();
            this.listener.onDiscontinuity();
            break;
          }
          this.deliver(change.fullDocument);
        }
      } catch (error) {
        if (this.closed) break;
        failures += 1;
        this.polling(error, failures);
        // The driver already tried to resume once. Our token gets one more try; after that, or if
        // the oplog has moved past it, start from now and let subscriptions read what they missed.
        if (failures > 1 || hasCode(error, CHANGE_STREAM_HISTORY_LOST)) {
          this.resumeToken = null;
          startAt = await this.operationTime().catch(() => undefined);
          this.listener.onDiscontinuity();
        }
        await sleep(Math.min(RETRY_MAX_MS, 100 * 2 ** failures), undefined, { signal: this.closing.signal }).catch(
          () => {},
        );
      } finally {
        this.stream = null;
        await stream?.close().catch(() => {});
      }
    }
  }

  private pushing(): void {
    if (this.current.mode === 'push') return;
    if (this.current.error !== undefined) {
      this.log.info({ since: this.current.since }, 'change stream on events restored');
    }
    this.current = { mode: 'push' };
  }

  /** Logged at every failure (at most one per back-off step), so that a lasting outage stays visible. */
  private polling(error: unknown, failures: number): void {
    const message = error instanceof Error ? error.message : String(error);
    if (this.current.mode === 'push') this.current = { mode: 'polling', since: new Date().toISOString() };
    this.current.error = message;
    this.log.warn(
      { err: error, failures, since: this.current.since },
      "change stream on events failed; other instances' events arrive by polling until it is back",
    );
  }

  private deliver(doc: EventDoc): void {
    let event: StoredEvent;
    try {
      event = toEvent(doc);
    } catch (error) {
      // An event this build cannot read (written by a newer version): subscriptions meet it when
      // they read by position, and stop there with the error, as on any engine.
      this.log.warn({ err: error, position: doc._id }, 'change stream brought an event this build cannot read');
      this.listener.onDiscontinuity();
      return;
    }
    this.listener.onEvents([event]);
  }

  /**
   * The cluster time of a majority read. An event a later majority read (a subscription's catch-up)
   * does not see committed after it, so a stream started at this time delivers it.
   */
  private async operationTime(): Promise<Timestamp | undefined> {
    const session = this.client.startSession();
    try {
      await this.events
        .find({ _id: -1 }, { session, readConcern: { level: 'majority' } })
        .limit(1)
        .toArray();
      return session.operationTime;
    } finally {
      await session.endSession();
    }
  }
}
