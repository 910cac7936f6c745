import { setTimeout as sleep } from 'node:timers/promises';
import { decideAll, DomainError, type Decider } from '../commands/decider';
import { streamOf, type ParleyEvent, type StoredEvent } from '../events';
import { ConcurrencyError, type EventStore, type StreamAppend } from '../store/ports';

/** Who and what caused a command: becomes the events' metadata. */
export interface CommandContext {
  correlationId: string;
  userId?: string;
}

export interface Executed<S> {
  /** The events stored; empty when the command changed nothing (an idempotent repeat). */
  events: StoredEvent[];
  /** The log position to wait for to see this command's effect (0 when nothing was stored). */
  position: number;
}

const MAX_ATTEMPTS = 5;

export class RetriesExhaustedError extends Error {
  constructor(readonly conflict: ConcurrencyError) {
    super(`gave up after ${MAX_ATTEMPTS} concurrent updates of ${conflict.stream}`);
    this.name = 'RetriesExhaustedError';
  }
}

/**
 * Runs commands against the streams they need: load, decide (pure), append with the versions that
 * were read. When another writer got in first, the whole thing is tried again on fresh state.
 */
export async function execute<C, S, E extends ParleyEvent>(
  store: EventStore,
  decider: Decider<C, S, E>,
  streams: string[],
  commands: C | C[],
  context: CommandContext,
): Promise<Executed<S>> {
  const list = Array.isArray(commands) ? commands : [commands];
  for (let attempt = 1; ; attempt++) {
    const loaded = await store.readStreams(streams);
    const state = (loaded.events as unknown as E[]).reduce(decider.evolve, decider.initialState());
    const decided = decideAll(decider, list, state);
    if (decided instanceof DomainError) throw decided;
    if (decided.length === 0) return { events: [], position: 0 };

    const appends = groupByStream(decided, loaded.versions);
    try {
      const result = await store.append(appends, {
        time: new Date().toISOString(),
        metadata: { correlation_id: context.correlationId, causation_id: crypto.randomUUID(), ...(context.userId ? { user_id: context.userId } : {}) },
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
  return [...byStream].map(([stream, list]) => ({ stream, expectedVersion: versions.get(stream) ?? 'any', events: list }));
}
