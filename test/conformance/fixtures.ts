import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ParleyEvent, StoredEvent } from '../../src/events';
import type { AppendOptions, BatchHandler, EventStore, SubscribeOptions, Subscription } from '../../src/store/ports';

/** A general-chat line: the simplest event, each in a stream of its own. */
export function chatEvent(text = 'hello'): ParleyEvent {
  return { type: 'ChatMessagePosted', data: { message_id: randomUUID(), from_id: 'u-alice', from: 'alice', text } };
}

export function appendOptions(): AppendOptions {
  return { time: new Date().toISOString(), metadata: { correlation_id: randomUUID(), causation_id: randomUUID() } };
}

/** Waits until `condition` holds, re-checking often; mocha's timeout bounds it. */
export async function until(condition: () => boolean | Promise<boolean>, what: string, everyMs = 10): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > 15_000) throw new Error(`gave up waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** A subscription that records what it was handed. */
export interface Recorder {
  readonly subscription: Subscription;
  readonly events: StoredEvent[];
  readonly batches: number[][];
  /** Resolves once the subscription reported it caught up. */
  readonly live: Promise<void>;
  /** Waits until the recorder has seen the event at `position`. */
  reach(position: number): Promise<void>;
}

export function record(
  store: EventStore,
  after: number,
  options: SubscribeOptions = {},
  onBatch?: BatchHandler,
): Recorder {
  const events: StoredEvent[] = [];
  const batches: number[][] = [];
  let announceLive = () => {};
  const live = new Promise<void>((resolve) => {
    announceLive = resolve;
  });
  const subscription = store.subscribe(
    after,
    async (batch) => {
      await onBatch?.(batch);
      events.push(...batch);
      batches.push(batch.map((e) => e.position));
      return undefined;
    },
    { ...options, onLive: () => announceLive() },
  );
  return {
    subscription,
    events,
    batches,
    live,
    reach: (position) =>
      until(() => events.length > 0 && events[events.length - 1].position >= position, `position ${position}`),
  };
}

/** 1..n */
export const positionsUpTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
