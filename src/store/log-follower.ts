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
 * engine pushes right after each commit, without reading them back.
 *
 * Pushed events are only a cache of the log. The handler is given pushed events only as the run
 * current+1, current+2, … ; anything after a hole (an append by another process, an event a change
 * stream skipped) is read back from the log, which is the authority on what follows `current`.
 * Duplicates and out-of-order pushes are sorted out by position. notify() (a discontinuity: a
 * change-stream restart, a commit whose outcome is unknown, an import) drops the cache and re-reads.
 */
export class LogFollower implements Subscription {
  private current: number;
  /** Pushed events after `current`, by position, ascending, no duplicates. */
  private buffer: StoredEvent[] = [];
  /** True while every commit is believed to be pushed to us (so pushes are worth keeping). */
  private caughtUp = false;
  /** The log must be read before trusting the buffer again (a poll or a discontinuity). */
  private mustRead = true;
  private stopped = false;
  private wake: (() => void) | null = null;
  /** Set when woken while busy, so the next idle() does not sleep through it. */
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

  /** Called by the engine with events it has just committed (normally in commit order). */
  push(events: StoredEvent[]): void {
    if (this.stopped) return;
    if (this.caughtUp) {
      for (const event of events) this.insert(event);
      if (this.buffer.length > MAX_BUFFERED) {
        this.buffer = [];
        this.caughtUp = false;
        this.mustRead = true;
      }
    }
    this.wakeUp();
  }

  /** A discontinuity: pushed events may be missing or wrong, so forget them and read the log. */
  notify(): void {
    this.buffer = [];
    this.mustRead = true;
    this.wakeUp();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeUp();
    await this.done.catch(() => {});
  }

  private insert(event: StoredEvent): void {
    const p = event.position;
    if (p <= this.current) return;
    const buffer = this.buffer;
    // Pushes come almost always in order: check the end first.
    let i = buffer.length;
    while (i > 0 && buffer[i - 1].position > p) i--;
    if (i > 0 && buffer[i - 1].position === p) return;
    buffer.splice(i, 0, event);
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = null;
    if (wake) wake();
    else this.signalled = true;
  }

  private async run(): Promise<void> {
    const batchSize = this.options.batchSize ?? DEFAULT_BATCH;
    let announcedLive = false;
    while (!this.stopped) {
      const batch = this.takeContiguous(batchSize) ?? (this.needsRead() ? await this.read(batchSize) : []);
      if (this.stopped) return;
      if (batch.length > 0) {
        await this.handler(batch);
        this.current = batch[batch.length - 1].position;
        this.dropHandled();
        continue;
      }
      if (!announcedLive) {
        announcedLive = true;
        this.options.onLive?.();
      }
      await this.idle();
    }
  }

  private dropHandled(): void {
    let n = 0;
    while (n < this.buffer.length && this.buffer[n].position <= this.current) n++;
    if (n > 0) this.buffer.splice(0, n);
  }

  /** The buffered run current+1, current+2, … (at most `limit`), or null when there is none. */
  private takeContiguous(limit: number): StoredEvent[] | null {
    this.dropHandled();
    if (this.mustRead || !this.caughtUp || this.buffer[0]?.position !== this.current + 1) return null;
    let n = 1;
    while (n < this.buffer.length && n < limit && this.buffer[n].position === this.current + n + 1) n++;
    return this.buffer.splice(0, n);
  }

  /** Behind, told to look, or holding events after a hole: only the log knows what comes next. */
  private needsRead(): boolean {
    return this.mustRead || !this.caughtUp || this.buffer.length > 0;
  }

  private async read(limit: number): Promise<StoredEvent[]> {
    this.mustRead = false;
    this.signalled = false;
    // Pushes that arrive while reading are kept: duplicates of what the read returns are dropped.
    this.caughtUp = true;
    const events = await this.source.readAll(this.current, limit);
    if (events.length >= limit) {
      // Still behind: reading on is cheaper than buffering what the next reads return anyway.
      this.caughtUp = false;
      this.buffer = [];
    }
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
        this.mustRead = true;
        this.wakeUp();
      }, this.source.pollIntervalMs);
    }).finally(() => {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
    });
  }
}
