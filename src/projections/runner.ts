import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { StoredEvent } from '../events';
import type { Engine, Subscription } from '../store/ports';
import { CheckpointMovedError, type ReadModelOp } from '../store/read-models';
import type { Projection } from './projection';
import { isTransientStoreError } from './transient';

export interface ProjectionStatus {
  name: string;
  /**
   * Position up to which this projection's read model is complete. The instance holding the lease
   * applies events: the stored checkpoint equals this whenever an event needed a write (events that
   * need none are checkpointed lazily, see CHECKPOINT_EVERY_*). Other instances follow the stored
   * checkpoint (and skip past events that change nothing).
   */
  position: number;
  /** True once the projection has caught up with the log and follows it live. */
  live: boolean;
  /** Set while the projection is stopped on an event it could not apply. */
  error: { position: number; message: string } | null;
  /** Which instance applies this projection (null: nobody holds the lease right now), and whether it is this one. */
  lease: { holder: string | null; mine: boolean };
}

export interface RunnerOptions {
  /** How long a lease lasts unless renewed: a crashed holder's projections are taken over after at most this. */
  leaseTtlMs?: number;
  /** How often leases are renewed, and free or expired ones taken. */
  renewEveryMs?: number;
  /** This instance's name in the leases (default: host/pid/random). */
  holder?: string;
}

type Mode = 'apply' | 'follow';

interface Running {
  projection: Projection;
  status: ProjectionStatus;
  mode: Mode | null;
  /** Bumped on every (re)start, so that a superseded subscription's end is ignored. */
  generation: number;
  subscription: Subscription | null;
  retryTimer: NodeJS.Timeout | null;
  failures: number;
  /** Apply mode: the checkpoint as stored, and when it was last written. */
  persisted: number;
  persistedAt: number;
  /** When this instance last renewed the lease, and when the apply loop last let timers run. */
  renewedAt: number;
  yieldedAt: number;
  /** Follow mode: the stored checkpoint as last read, the last event read, the last one that changes the read model. */
  stored: number;
  seen: number;
  lastChange: number;
}

/**
 * A projection counts as live (for /readyz and `parley projections status`) while it trails the
 * log's head by at most this many positions: a following projector applies batches of up to 500.
 */
export const MAX_LIVE_LAG = 1_000;

/** Deterministic failures (the projection threw on an event): retried slowly, from the checkpoint. */
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;
/** Transient store errors (busy, network, stepdown, moved checkpoint): retried soon. */
const TRANSIENT_MIN_MS = 20;
const TRANSIENT_MAX_MS = 5_000;
/**
 * Most events concern few projections (a private message changes neither users nor sessions nor
 * chat). Writing the checkpoint for every batch of events a projection ignores would cost a
 * transaction each; instead it is written with the next real change, at least every this many
 * events or milliseconds, and on stop. A restart re-reads at most that many ignored events.
 */
const CHECKPOINT_EVERY_EVENTS = 1_000;
const CHECKPOINT_EVERY_MS = 1_000;
const DEFAULT_LEASE_TTL_MS = 5_000;
const DEFAULT_RENEW_MS = 1_000;
/** How often an instance without the lease reads the stored checkpoint: while someone waits on it, and otherwise. */
const POLL_WAITING_MS = 10;
const POLL_IDLE_MS = 250;
const YIELD_EVERY_MS = 100;

/**
 * Keeps every projection following the log. Across instances sharing a store, one applies each
 * projection: the holder of its lease (renewed every `renewEveryMs`, taken over once it expires).
 * The holder turns batches of events into read-model writes applied atomically with the checkpoint
 * (a compare-and-set, so even two holders at once could never apply a batch twice). The others
 * follow the stored checkpoint for read-after-write. A projection that throws on an event stops
 * there (it never skips it), reports the position, and retries with back-off from its checkpoint;
 * transient store errors are retried sooner and never stop it.
 */
export class ProjectionRunner {
  private readonly running: Running[];
  private waiters: { position: number; resolve: () => void }[] = [];
  private stopped = false;
  private readonly holder: string;
  private readonly leaseTtlMs: number;
  private readonly renewEveryMs: number;
  private leaseTimer: NodeJS.Timeout | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private pollDue = Infinity;
  private renewing: Promise<void> | null = null;

  constructor(
    private readonly engine: Engine,
    projections: readonly Projection[],
    private readonly log: Logger,
    options: RunnerOptions = {},
  ) {
    this.holder = options.holder ?? `${hostname()}/${process.pid}/${randomBytes(3).toString('hex')}`;
    this.leaseTtlMs = options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
    this.renewEveryMs = options.renewEveryMs ?? DEFAULT_RENEW_MS;
    this.running = projections.map((projection) => ({
      projection,
      mode: null,
      generation: 0,
      subscription: null,
      retryTimer: null,
      failures: 0,
      persisted: 0,
      persistedAt: 0,
      renewedAt: 0,
      yieldedAt: 0,
      stored: 0,
      seen: 0,
      lastChange: 0,
      status: { name: projection.name, position: 0, live: false, error: null, lease: { holder: null, mine: false } },
    }));
  }

  /** Starts every projection and resolves once all have caught up with the log. */
  async start(): Promise<void> {
    await this.renewLeases();
    this.leaseTimer = setInterval(() => void this.renewLeases(), this.renewEveryMs);
    this.leaseTimer.unref();
    this.schedulePoll(POLL_IDLE_MS);
    await Promise.all(this.running.map((r) => this.run(r, r.status.lease.mine ? 'apply' : 'follow')));
  }

  /** Takes or renews every lease; a projection whose lease changed hands switches mode. */
  private renewLeases(): Promise<void> {
    this.renewing ??= this.renewNow().finally(() => {
      this.renewing = null;
    });
    return this.renewing;
  }

  private async renewNow(): Promise<void> {
    let others = new Map<string, string>();
    for (const r of this.running) {
      if (this.stopped) return;
      let mine: boolean;
      try {
        mine = await this.engine.leases.acquire(r.projection.name, this.holder, this.leaseTtlMs);
        if (mine) r.renewedAt = Date.now();
      } catch (error) {
        // Keep applying while the lease surely has not run out; the checkpoint's compare-and-set
        // keeps even an overlap harmless.
        mine = r.status.lease.mine && Date.now() - r.renewedAt < this.leaseTtlMs - this.renewEveryMs;
        this.log.warn({ projection: r.projection.name, err: error }, 'could not renew the projection lease');
      }
      if (!mine && others.size === 0) others = await this.leaseHolders();
      r.status.lease = { holder: mine ? this.holder : (others.get(r.projection.name) ?? null), mine };
      const mode: Mode = mine ? 'apply' : 'follow';
      if (r.mode !== null && r.mode !== mode && !this.stopped) {
        this.log.info(
          { projection: r.projection.name, holder: r.status.lease.holder },
          mine ? 'took over the projection lease: applying here' : 'lost the projection lease: following its holder',
        );
        void this.run(r, mode);
      }
    }
  }

  private async leaseHolders(): Promise<Map<string, string>> {
    try {
      const now = Date.now();
      const live = (await this.engine.leases.list()).filter((l) => l.expires_at.getTime() > now);
      return new Map(live.map((l) => [l.name, l.holder]));
    } catch {
      return new Map();
    }
  }

  /** (Re)starts a projection in `mode`, stopping whatever ran before; resolves once it is live or failed. */
  private async run(r: Running, mode: Mode): Promise<void> {
    const generation = ++r.generation;
    r.mode = mode;
    if (r.retryTimer) clearTimeout(r.retryTimer);
    r.retryTimer = null;
    const previous = r.subscription;
    r.subscription = null;
    await previous?.stop();
    if (generation !== r.generation || this.stopped) return;
    try {
      await (mode === 'apply' ? this.apply(r, generation) : this.follow(r, generation));
    } catch (error) {
      // Reading the checkpoint failed before following started.
      this.failed(r, generation, error as Error);
    }
  }

  /** Lease holder: applies batches to the read model with the checkpoint. */
  private async apply(r: Running, generation: number): Promise<void> {
    const { projection, status } = r;
    const checkpoint = await this.engine.readModels.checkpoint(projection.name);
    if (generation !== r.generation || this.stopped) return;
    status.position = checkpoint;
    r.persisted = status.position;
    r.persistedAt = Date.now();
    // Another process may have moved the checkpoint past what waiters need (see CheckpointMovedError).
    this.release();
    await this.subscribe(r, generation, status.position, async (events) => {
      const ops = events.flatMap((event) => {
        try {
          return projection.project(event);
        } catch (error) {
          throw Object.assign(error as Error, { position: event.position, deterministic: true });
        }
      });
      const last = events[events.length - 1].position;
      const due = last - r.persisted >= CHECKPOINT_EVERY_EVENTS || Date.now() - r.persistedAt >= CHECKPOINT_EVERY_MS;
      if (ops.length > 0 || due) {
        await this.persist(r, ops, last);
      }
      status.position = last;
      this.succeeded(r);
      // A long catch-up on the embedded engine never waits for I/O: let the lease timer renew.
      if (Date.now() - r.yieldedAt >= YIELD_EVERY_MS) {
        await yieldToEventLoop();
        r.yieldedAt = Date.now();
      }
    });
  }

  /**
   * Not the holder: reads the log too, but only to know which events change this read model. The
   * read model is complete up to the stored checkpoint, and beyond it up to the last event read
   * if none after the checkpoint changes anything.
   */
  private async follow(r: Running, generation: number): Promise<void> {
    const checkpoint = await this.engine.readModels.checkpoint(r.projection.name);
    if (generation !== r.generation || this.stopped) return;
    r.stored = checkpoint;
    r.seen = r.stored;
    r.lastChange = r.stored;
    this.advance(r);
    await this.subscribe(r, generation, r.stored, (events) => {
      for (const event of events) {
        let changes = true;
        try {
          changes = r.projection.project(event).length > 0;
        } catch {
          // The holder stops on it; here it only means: wait for the holder's checkpoint.
        }
        if (changes) r.lastChange = event.position;
      }
      r.seen = events[events.length - 1].position;
      this.advance(r);
      this.succeeded(r);
    });
  }

  private advance(r: Running): void {
    if (r.mode !== 'follow') return;
    r.status.position = r.stored >= r.lastChange ? Math.max(r.stored, r.seen) : r.stored;
    this.release();
  }

  private subscribe(
    r: Running,
    generation: number,
    from: number,
    handler: (events: StoredEvent[]) => Promise<void> | void,
  ): Promise<void> {
    return new Promise<void>((live) => {
      const subscription = this.engine.events.subscribe(from, handler, {
        onLive: () => {
          r.status.live = true;
          live();
        },
      });
      r.subscription = subscription;
      subscription.done.then(live, (error: Error) => {
        live();
        this.failed(r, generation, error);
      });
    });
  }

  private succeeded(r: Running): void {
    r.failures = 0;
    r.status.error = null;
    this.release();
  }

  private failed(r: Running, generation: number, error: Error & { position?: number; deterministic?: boolean }): void {
    if (generation !== r.generation || this.stopped) return;
    r.subscription = null;
    r.failures += 1;
    const { name } = r.projection;
    if (!error.deterministic && isTransientStoreError(error)) {
      // Nothing was applied; try again from the stored checkpoint (wherever another process moved it).
      const message =
        error instanceof CheckpointMovedError
          ? 'projection checkpoint moved by another process; following on from it'
          : 'transient store error in a projection; retrying';
      this.log.warn({ projection: name, mode: r.mode, attempt: r.failures, err: error }, message);
      this.retry(r, generation, Math.min(TRANSIENT_MAX_MS, TRANSIENT_MIN_MS * 2 ** (r.failures - 1)));
      return;
    }
    r.status.live = false;
    const position = error.position ?? r.status.position + 1;
    r.status.error = { position, message: error.message };
    this.log.error({ projection: name, position, err: error }, 'projection stopped on an event');
    this.retry(r, generation, Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (r.failures - 1)));
  }

  private retry(r: Running, generation: number, delay: number): void {
    r.retryTimer = setTimeout(() => {
      r.retryTimer = null;
      if (generation === r.generation && !this.stopped) void this.run(r, r.mode!);
    }, delay);
    r.retryTimer.unref();
  }

  private async persist(r: Running, ops: ReadModelOp[], position: number): Promise<void> {
    await this.engine.readModels.apply(r.projection.name, ops, r.persisted, position);
    r.persisted = position;
    r.persistedAt = Date.now();
  }

  /** Reads the stored checkpoints of the projections another instance applies: soon while someone waits. */
  private schedulePoll(delay: number): void {
    const due = Date.now() + delay;
    if (this.stopped || due >= this.pollDue) return;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollDue = due;
    this.pollTimer = setTimeout(() => void this.poll(), delay);
    this.pollTimer.unref();
  }

  private async poll(): Promise<void> {
    this.pollTimer = null;
    this.pollDue = Infinity;
    for (const r of this.running) {
      if (r.mode !== 'follow' || this.stopped) continue;
      try {
        r.stored = Math.max(r.stored, await this.engine.readModels.checkpoint(r.projection.name));
        this.advance(r);
      } catch (error) {
        this.log.warn({ projection: r.projection.name, err: error }, 'could not read the projection checkpoint');
      }
    }
    this.schedulePoll(this.waiters.length > 0 ? POLL_WAITING_MS : POLL_IDLE_MS);
  }

  /** Lowest position every projection has applied. */
  get position(): number {
    return Math.min(...this.running.map((r) => r.status.position));
  }

  status(): ProjectionStatus[] {
    return this.running.map((r) => ({ ...r.status, lease: { ...r.status.lease } }));
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
      if (this.running.some((r) => r.mode === 'follow')) this.schedulePoll(0);
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
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    if (this.pollTimer) clearTimeout(this.pollTimer);
    await this.renewing;
    for (const r of this.running) if (r.retryTimer) clearTimeout(r.retryTimer);
    await Promise.all(this.running.map((r) => r.subscription?.stop()));
    // Store the checkpoints that were being written lazily, then hand the leases over at once.
    await Promise.all(
      this.running
        .filter((r) => r.mode === 'apply')
        .map(async (r) => {
          if (!r.status.error && r.status.position > r.persisted) {
            await this.persist(r, [], r.status.position).catch((error: unknown) => {
              if (error instanceof CheckpointMovedError) return;
              this.log.warn({ projection: r.projection.name, err: error }, 'could not store the checkpoint on stop');
            });
          }
          await this.engine.leases.release(r.projection.name, this.holder).catch((error: unknown) => {
            this.log.warn({ projection: r.projection.name, err: error }, 'could not release the projection lease');
          });
        }),
    );
  }
}
