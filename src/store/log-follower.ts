import type { StoredEvent } from '../events';
import type { BatchHandler, SubscribeOptions, Subscription } from './ports';

const DEFAULT_BATCH = 500;
/** A follower that falls this far behind stops buffering pushed events and reads them back instead. */
const MAX_BUFFERED = 10_000;

export interface FollowerSource {
  readAll(afterPosition: number, limit: number): Promise<StoredEvent[]>;
  /** How often to look for events appended elsewhere (another process) while idle. */
  pollIntervalMs: number;
}

/**
 * Follows the log from a position: reads batches until it reaches the head, then takes events the
 * engine pushes right after each commit, without reading them back. Events appended by another
 * process are found by polling when idle, and by the contiguity check on pushed events.
 */
export class LogFollower implements Subscription {
  private current: number;
  private buffer: StoredEvent[] = [];
  private caughtUp = false;
  private stopped = false;
  private wake: (() => void) | null = null;
  /** Set when notified while busy, so the next idle() does not sleep through it. */
  private signalled = false;
  private timer: NodeJS.Timeout | null = null;
  readonly done: Promise<void>;

  constructor(
    private readonly source: FollowerSource,
    afterPosition: number,
    private readonly handler: BatchHandler,
    private readonly options: SubscribeOptions = {},
    private readonly onStop: (follower: LogFollower) => void = () => {},
  ) {
    this.current = afterPosition;
    this.done = this.run().finally(() => {
      this.stopped = true;
      this.onStop(this);
    });
  }

  get position(): number {
    return this.current;
  }

  /** Called by the engine, in commit order, with events it has just committed. */
  push(events: StoredEvent[]): void {
    if (this.stopped) return;
    if (this.caughtUp) {
      this.buffer.push(...events);
      if (this.buffer.length > MAX_BUFFERED) {
        this.buffer = [];
        this.caughtUp = false;
      }
    }
    this.notify();
  }

  notify(): void {
    const wake = this.wake;
    this.wake = null;
    if (wake) wake();
    else this.signalled = true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.notify();
    await this.done.catch(() => {});
  }

  private async run(): Promise<void> {
    const batchSize = this.options.batchSize ?? DEFAULT_BATCH;
    let announcedLive = false;
    while (!this.stopped) {
      const batch = this.takeBuffered(batchSize) ?? await this.read(batchSize);
      if (this.stopped) return;
      if (batch.length > 0) {
        await this.handler(batch);
        this.current = batch[batch.length - 1]!.position;
        continue;
      }
      if (!announcedLive) {
        announcedLive = true;
        this.options.onLive?.();
      }
      await this.idle();
    }
  }

  private takeBuffered(limit: number): StoredEvent[] | null {
    while (this.buffer.length > 0 && this.buffer[0]!.position <= this.current) this.buffer.shift();
    if (!this.caughtUp || this.buffer.length === 0) return null;
    // Pushed events are usable only if nothing (say another process's append) came in between.
    if (this.buffer[0]!.position !== this.current + 1) {
      this.buffer = [];
      this.caughtUp = false;
      return null;
    }
    return this.buffer.splice(0, limit);
  }

  private async read(limit: number): Promise<StoredEvent[]> {
    this.buffer = [];
    this.signalled = false;
    const events = await this.source.readAll(this.current, limit);
    // Reading and pushing happen on one thread, so from here on every commit is pushed to us.
    this.caughtUp = events.length < limit;
    return events;
  }

  private idle(): Promise<void> {
    if (this.signalled || this.stopped) {
      this.signalled = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      this.wake = () => resolve();
      this.timer = setTimeout(() => {
        // A poll: read again in case another process appended.
        this.caughtUp = false;
        this.notify();
      }, this.source.pollIntervalMs);
    }).finally(() => {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
    });
  }
}
