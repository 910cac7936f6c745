import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { StoredEvent } from '../events';
import { ShadowBehindError, type Engine, type EventStore } from '../store/ports';
import type { ReadModelOp, ShadowReadModel } from '../store/read-models';
import { PROJECTIONS } from './index';
import type { Projection } from './projection';

export interface RebuildProgress {
  /** 'scan' until the head seen at the start is reached, then 'catch-up' for what came in meanwhile. */
  phase: 'scan' | 'catch-up' | 'promote';
  /** Position of the last event applied to the shadows. */
  position: number;
  /** The log's head as last seen (it grows while the server keeps appending). */
  head: number;
  /** Events read so far. */
  events: number;
}

export interface RebuildOptions {
  /** Events read per batch; each batch is one transaction per shadow. */
  batchSize?: number;
  /** Called after every batch and before each promotion attempt; a returned promise is awaited. */
  onProgress?: (progress: RebuildProgress) => void | Promise<void>;
  /** Stops the rebuild between batches; the shadows are discarded. */
  signal?: AbortSignal;
  /** How often to catch up again when promotion finds that the log has moved on. */
  maxPromoteAttempts?: number;
}

export interface RebuildResult {
  projections: string[];
  /** Events read (one scan feeds every projection). */
  events: number;
  /** The checkpoint every rebuilt projection was promoted with. */
  position: number;
  seconds: number;
}

export const DEFAULT_REBUILD_BATCH = 10_000;
const DEFAULT_PROMOTE_ATTEMPTS = 20;

export class UnknownProjectionError extends Error {
  constructor(readonly names: string[]) {
    super(
      `unknown projection${names.length > 1 ? 's' : ''}: ${names.join(', ')} (known: ${PROJECTIONS.map((p) => p.name).join(', ')})`,
    );
    this.name = 'UnknownProjectionError';
  }
}

/** The projections with these names (every projection when none are given), in their usual order. */
export function selectProjections(names: readonly string[]): Projection[] {
  const unknown = names.filter((n) => !PROJECTIONS.some((p) => p.name === n));
  if (unknown.length > 0) throw new UnknownProjectionError(unknown);
  return names.length === 0 ? [...PROJECTIONS] : PROJECTIONS.filter((p) => names.includes(p.name));
}

interface Target {
  projection: Projection;
  shadow: ShadowReadModel;
  promoted: boolean;
}

/**
 * Rebuilds read models from position 0 into shadows and swaps each in atomically with its
 * checkpoint. One scan of the log feeds every projection being rebuilt. A running server keeps
 * serving the old read model until the swap; its projector then finds the checkpoint moved and
 * follows on from the new one. On any failure every shadow not yet promoted is discarded, leaving
 * the live read models as they were.
 */
export async function rebuildProjections(
  engine: Engine,
  projections: readonly Projection[],
  options: RebuildOptions = {},
): Promise<RebuildResult> {
  const started = performance.now();
  const batchSize = options.batchSize ?? DEFAULT_REBUILD_BATCH;
  const targets: Target[] = [];
  try {
    for (const projection of projections) {
      targets.push({ projection, shadow: await engine.readModels.shadow(projection.name), promoted: false });
    }
    const progress: RebuildProgress = {
      phase: 'scan',
      position: 0,
      head: await engine.events.headPosition(),
      events: 0,
    };
    const scanUntil = progress.head;
    for (let attempt = 1; ; attempt++) {
      // Catch up with the head (the log may grow meanwhile), then try to swap in what is left.
      for (;;) {
        // An embedded engine answers without I/O: let signals, timers and other work run.
        await yieldToEventLoop();
        options.signal?.throwIfAborted();
        const batch = await engine.events.readAll(progress.position, batchSize);
        if (batch.length === 0) break;
        const last = batch[batch.length - 1].position;
        for (const target of targets) {
          if (!target.promoted) await target.shadow.apply(projectBatch(target.projection, batch), last);
        }
        progress.position = last;
        progress.events += batch.length;
        progress.head = Math.max(progress.head, last);
        progress.phase = last >= scanUntil ? 'catch-up' : 'scan';
        await options.onProgress?.({ ...progress });
      }
      await options.onProgress?.({ ...progress, phase: 'promote' });
      await yieldToEventLoop();
      options.signal?.throwIfAborted();
      if (await promoteAll(targets)) break;
      if (attempt >= (options.maxPromoteAttempts ?? DEFAULT_PROMOTE_ATTEMPTS)) {
        throw new Error(`the log kept growing faster than the rebuild could catch up (${attempt} attempts to promote)`);
      }
      progress.head = await engine.events.headPosition();
    }
    return {
      projections: projections.map((p) => p.name),
      events: progress.events,
      position: progress.position,
      seconds: (performance.now() - started) / 1000,
    };
  } catch (error) {
    await Promise.all(targets.filter((t) => !t.promoted).map((t) => t.shadow.discard().catch(() => {})));
    throw error;
  }
}

/** True when every shadow is promoted; false when the log moved on and they must catch up first. */
async function promoteAll(targets: Target[]): Promise<boolean> {
  for (const target of targets) {
    if (target.promoted) continue;
    try {
      await target.shadow.promote();
      target.promoted = true;
    } catch (error) {
      if (error instanceof ShadowBehindError) return false;
      throw error;
    }
  }
  return true;
}

function projectBatch(projection: Projection, events: StoredEvent[]): ReadModelOp[] {
  const ops: ReadModelOp[] = [];
  for (const event of events) {
    let produced: ReadModelOp[];
    try {
      produced = projection.project(event);
    } catch (error) {
      throw new Error(
        `projection ${projection.name} failed on the event at position ${event.position}: ${(error as Error).message}`,
      );
    }
    for (const op of produced) ops.push(op);
  }
  return ops;
}

/**
 * Reads the whole log the way a rebuild does, applying nothing: the baseline a rebuild's speed is
 * compared with (bench: rebuild.ratio = rebuild events/s ÷ scan events/s).
 */
export async function scanLog(
  events: EventStore,
  batchSize = DEFAULT_REBUILD_BATCH,
): Promise<{ events: number; seconds: number }> {
  const started = performance.now();
  let position = 0;
  let count = 0;
  for (;;) {
    const batch = await events.readAll(position, batchSize);
    if (batch.length === 0) break;
    position = batch[batch.length - 1].position;
    count += batch.length;
  }
  return { events: count, seconds: (performance.now() - started) / 1000 };
}
