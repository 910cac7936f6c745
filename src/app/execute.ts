import { setTimeout as sleep } from 'node:timers/promises';
import { decideAll, DomainError, type Decider } from '../commands/decider';
import { streamOf, type ParleyEvent, type StoredEvent } from '../events';
import { ConcurrencyError, type EventStore, type StreamAppend } from '../store/ports';

/** Who and what caused a command: becomes the events' metadata. */
export interface CommandContext {
  correlationId: string;
  userId?: string;
}

export interface Executed {
  /** The events stored; empty when the command changed nothing (an idempotent repeat). */
  events: StoredEvent[];
  /**
   * The log position that holds this command's effect: its last event, or for a repeat that stored
   * nothing the newest event it was decided on (0 for streams that were empty).
   */
  position: number;
}

export interface HandleOptions {
  /** Resolve only once the projections have the result, so that a query right after sees it. */
  consistent?: boolean;
}

/** What a use case runs its commands with; see commandHandler. */
export type Handle = <C, S, E extends ParleyEvent>(
  decider: Decider<C, S, E>,
  streams: string[],
  commands: C | C[],
  context: CommandContext,
  options?: HandleOptions,
) => Promise<Executed>;

/** Anything that can say when the read models have reached a log position (the projection runner). */
export interface Projections {
  waitFor(position: number): Promise<unknown>;
}

const MAX_ATTEMPTS = 5;

export class RetriesExhaustedError extends Error {
  constructor(readonly conflict: ConcurrencyError) {
    super(`gave up after ${MAX_ATTEMPTS} concurrent updates of ${conflict.stream}`);
    this.name = 'RetriesExhaustedError';
  }
}

/**
 * The one way commands run: read → decide → append → retry, and with `consistent` also wait for
 * the projections. Every use case goes through the `handle` this returns.
 */
export function commandHandler(store: EventStore, projections: Projections): Handle {
  return async (decider, streams, commands, context, options = {}) => {
    const done = await execute(store, decider, streams, commands, context);
    if (options.consistent && done.position > 0) await projections.waitFor(done.position);
    return done;
  };
}

/**
 * Runs commands against the streams they need: load, decide (pure), append with the versions that
 * were read. When another writer got in first, the whole thing is tried again on fresh state.
 */
async function execute<C, S, E extends ParleyEvent>(
  store: EventStore,
  decider: Decider<C, S, E>,
  streams: string[],
  commands: C | C[],
  context: CommandContext,
): Promise<Executed> {
  const list = Array.isArray(commands) ? commands : [commands];
  for (let attempt = 1; ; attempt++) {
    const loaded = await store.readStreams(streams);
    const state = (loaded.events as unknown as E[]).reduce(decider.evolve, decider.initialState());
    const decided = decideAll(decider, list, state);
    if (decided instanceof DomainError) throw decided;
    if (decided.length === 0) {
      return { events: [], position: loaded.events.reduce((max, e) => Math.max(max, e.position), 0) };
    }

    const appends = groupByStream(decided, loaded.versions);
    try {
      const result = await store.append(appends, {
        time: new Date().toISOString(),
        metadata: {
          correlation_id: context.correlationId,
          causation_id: crypto.randomUUID(),
          ...(context.userId ? { user_id: context.userId } : {}),
        },
      });
      return { events: result.events, position: result.position };
    } catch (error) {
      if (!(error instanceof ConcurrencyError)) throw error;
      if (attempt >= MAX_ATTEMPTS) throw new RetriesExhaustedError(error);
      await sleep(Math.random() * 2 * attempt);
    }
  }
}

/** Streams that were loaded are appended at the version read; others (rare) without a check. */
function groupByStream(events: ParleyEvent[], versions: Map<string, number>): StreamAppend[] {
  const byStream = new Map<string, ParleyEvent[]>();
  for (const event of events) {
    const stream = streamOf(event);
    const list = byStream.get(stream);
    if (list) list.push(event);
    else byStream.set(stream, [event]);
  }
  return [...byStream].map(([stream, list]) => ({
    stream,
    expectedVersion: versions.get(stream) ?? 'any',
    events: list,
  }));
}
