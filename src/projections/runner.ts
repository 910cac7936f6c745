import type { Logger } from 'pino';
import type { Engine, Subscription } from '../store/ports';
import { CheckpointMovedError, type ReadModelOp } from '../store/read-models';
import type { Projection } from './projection';

export interface ProjectionStatus {
  name: string;
  /**
   * Position of the last event handled. The stored checkpoint equals it whenever an event needed a
   * write; events that need none are checkpointed lazily (see CHECKPOINT_EVERY_*).
   */
  position: number;
  /** True once the projection has caught up with the log and follows it live. */
  live: boolean;
  /** Set while the projection is stopped on an event it could not apply. */
  error: { position: number; message: string } | null;
}

interface Running {
  projection: Projection;
  status: ProjectionStatus;
  /** The checkpoint as stored, and when it was last written. */
  persisted: number;
  persistedAt: number;
  subscription: Subscription | null;
  retryTimer: NodeJS.Timeout | null;
}

/**
 * A projection counts as live (for /readyz and `parley projections status`) while it trails the
 * log's head by at most this many positions: a following projector applies batches of up to 500.
 */
export const MAX_LIVE_LAG = 1_000;

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;
/**
 * Most events concern few projections (a private message changes neither users nor sessions nor
 * chat). Writing the checkpoint for every batch of events a projection ignores would cost a
 * transaction each; instead it is written with the next real change, at least every this many
 * events or milliseconds, and on stop. A restart re-reads at most that many ignored events.
 */
const CHECKPOINT_EVERY_EVENTS = 1_000;
const CHECKPOINT_EVERY_MS = 1_000;

/**
 * Keeps every projection following the log. A batch of events becomes read-model writes applied
 * atomically with the checkpoint. A projection that fails on an event stops there (it never skips
 * it), reports the position, and retries with back-off from its checkpoint.
 */
export class ProjectionRunner {
  private readonly running: Running[];
  private waiters: { position: number; resolve: () => void }[] = [];
  private stopped = false;

  constructor(
    private readonly engine: Engine,
    projections: readonly Projection[],
    private readonly log: Logger,
  ) {
    this.running = projections.map((projection) => ({
      projection, subscription: null, retryTimer: null, persisted: 0, persistedAt: 0,
      status: { name: projection.name, position: 0, live: false, error: null },
    }));
  }

  /** Starts every projection and resolves once all have caught up with the log. */
  async start(): Promise<void> {
    await Promise.all(this.running.map((r) => this.follow(r, 0)));
  }

  private async follow(r: Running, failures: number): Promise<void> {
    const { projection, status } = r;
    status.position = await this.engine.readModels.checkpoint(projection.name);
    r.persisted = status.position;
    r.persistedAt = Date.now();
    // Another process may have moved the checkpoint past what waiters need (see CheckpointMovedError).
    this.release();
    await new Promise<void>((live) => {
      const subscription = this.engine.events.subscribe(status.position, async (events) => {
        const ops = events.flatMap((event) => {
          try {
            return projection.project(event);
          } catch (error) {
            throw Object.assign(error as Error, { position: event.position });
          }
        });
        const last = events[events.length - 1]!.position;
        if (ops.length > 0 || last - r.persisted >= CHECKPOINT_EVERY_EVENTS || Date.now() - r.persistedAt >= CHECKPOINT_EVERY_MS) {
          await this.persist(r, ops, last);
        }
        status.position = last;
        status.error = null;
        this.release();
      }, {
        onLive: () => {
          status.live = true;
          live();
        },
      });
      r.subscription = subscription;
      subscription.done.then(live, (error: Error & { position?: number }) => {
        status.live = false;
        if (error instanceof CheckpointMovedError) {
          // A promoted rebuild or another instance moved the checkpoint: carry on from where it is.
          live();
          if (!this.stopped) void this.follow(r, 0);
          return;
        }
        const position = error.position ?? status.position + 1;
        status.error = { position, message: error.message };
        this.log.error({ projection: projection.name, position, err: error }, 'projection stopped on an event');
        live();
        this.retry(r, failures + 1);
      });
    });
  }

  private async persist(r: Running, ops: ReadModelOp[], position: number): Promise<void> {
    await this.engine.readModels.apply(r.projection.name, ops, r.persisted, position);
    r.persisted = position;
    r.persistedAt = Date.now();
  }

  private retry(r: Running, failures: number): void {
    if (this.stopped) return;
    const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (failures - 1));
    r.retryTimer = setTimeout(() => {
      r.retryTimer = null;
      if (!this.stopped) void this.follow(r, failures);
    }, delay);
    r.retryTimer.unref();
  }

  /** Lowest position every projection has applied. */
  get position(): number {
    return Math.min(...this.running.map((r) => r.status.position));
  }

  status(): ProjectionStatus[] {
    return this.running.map((r) => ({ ...r.status }));
  }

  /**
   * Resolves true once every projection has applied the event at `position` (read-after-write),
   * or false after `timeoutMs`.
   */
  waitFor(position: number, timeoutMs = 5000): Promise<boolean> {
    if (this.position >= position) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = { position, resolve: () => resolve(true) };
      this.waiters.push(waiter);
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      waiter.resolve = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }

  private release(): void {
    if (this.waiters.length === 0) return;
    const reached = this.position;
    const ready = this.waiters.filter((w) => w.position <= reached);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.position > reached);
    for (const w of ready) w.resolve();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const r of this.running) if (r.retryTimer) clearTimeout(r.retryTimer);
    await Promise.all(this.running.map((r) => r.subscription?.stop()));
    // Store the checkpoints that were being written lazily.
    await Promise.all(this.running.filter((r) => !r.status.error && r.status.position > r.persisted).map((r) =>
      this.persist(r, [], r.status.position).catch((error: unknown) => {
        if (!(error instanceof CheckpointMovedError)) this.log.warn({ projection: r.projection.name, err: error }, 'could not store the checkpoint on stop');
      })));
  }
}
