import type { ProjectionOf } from '../read-models/kit/read-model';
import type { ReadModelOp } from '../store/read-models';

/**
 * A projection turns events into read-model writes. It is a pure function of the event, so a
 * rebuild from the log gives exactly what incremental processing gave, on any engine. Each one
 * lives in its read model's folder (src/read-models/<name>/projection.ts).
 */
export type Projection = ProjectionOf<ReadModelOp>;
