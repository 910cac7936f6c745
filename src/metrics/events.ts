import { Counter, Histogram, type Registry } from 'prom-client';
import type { EventType } from '../events';
import { ConcurrencyError, type Engine, type EventStore } from '../store/ports';

/** Which events are messages, and of which kind. */
const MESSAGE_KINDS: Partial<Record<EventType, 'pm' | 'chat'>> = { MessageSent: 'pm', ChatMessagePosted: 'chat' };

interface EventMetrics {
  appendDuration: Histogram<'result'>;
  appended: Counter<'type'>;
  messages: Counter<'kind'>;
}

function eventMetrics(registry: Registry): EventMetrics {
  const registers = [registry];
  const messages = new Counter({
    name: 'parley_messages_total',
    help: 'Messages stored by this instance, by kind (pm: private, chat: general chat); rate() gives messages per second.',
    labelNames: ['kind'] as const,
    registers,
  });
  // Both kinds are reported from the start, so rate() works before the first message.
  for (const kind of ['pm', 'chat']) messages.inc({ kind }, 0);
  return {
    appendDuration: new Histogram({
      name: 'parley_event_append_duration_seconds',
      help: 'Time to append to the event log (durable commit included), by result: ok, conflict (optimistic concurrency) or error.',
      labelNames: ['result'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
    appended: new Counter({
      name: 'parley_events_appended_total',
      help: 'Events appended by this instance, by event type.',
      labelNames: ['type'] as const,
      registers,
    }),
    messages,
  };
}

function instrumentEventStore(store: EventStore, m: EventMetrics): EventStore {
  const append: EventStore['append'] = async (appends, options) => {
    const stop = m.appendDuration.startTimer();
    try {
      const result = await store.append(appends, options);
      stop({ result: 'ok' });
      for (const event of result.events) {
        m.appended.inc({ type: event.type });
        const kind = MESSAGE_KINDS[event.type];
        if (kind) m.messages.inc({ kind });
      }
      return result;
    } catch (error) {
      stop({ result: error instanceof ConcurrencyError ? 'conflict' : 'error' });
      throw error;
    }
  };
  return forwardingProxy(store, { append });
}

/**
 * The engine as the application sees it, with appends measured. A proxy rather than a copy so
 * that whatever else the engine has (methods of a class, fields swapped later) stays reachable.
 */
export function instrumentEngine(engine: Engine, registry: Registry): Engine {
  const events = instrumentEventStore(engine.events, eventMetrics(registry));
  return forwardingProxy(engine, { events });
}

/** `target` with some members replaced; methods stay bound to the target. */
function forwardingProxy<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(object, property): unknown {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof T];
      const value = Reflect.get(object, property, object);
      return typeof value === 'function' ? value.bind(object) : value;
    },
  });
}
