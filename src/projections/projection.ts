import type { StoredEvent } from '../events';
import type { ReadModelOp } from '../store/read-models';

/**
 * A projection turns events into read-model writes. It is a pure function of the event, so a
 * rebuild from the log gives exactly what incremental processing gave, on any engine.
 */
export interface Projection {
  readonly name: string;
  project(event: StoredEvent): ReadModelOp[];
}
