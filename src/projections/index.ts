import { READ_MODELS } from '../read-models';
import type { Projection } from './projection';

export type { Projection } from './projection';

/** One projection per read model, in the registry's order (src/read-models/index.ts). */
export const PROJECTIONS: readonly Projection[] = READ_MODELS.map((m) => m.projection);
