import { MAX_LIVE_LAG, type ProjectionStatus } from '../projections/runner';
import type { FeedStatus } from '../store/ports';
import type { AppDeps } from './deps';

/** How many events a projection may trail the log by and still count as live and ready. */
export const READY_MAX_LAG = MAX_LIVE_LAG;

/** What health checks and operators ask of the running service. */
export class Operations {
  constructor(private readonly deps: AppDeps) {}

  /** Position of the newest event in the log. */
  head(): Promise<number> {
    return this.deps.engine.events.headPosition();
  }

  /** Where each projection is, and whether it is live or stopped on a failure. */
  projections(): ProjectionStatus[] {
    return this.deps.projector.status();
  }

  /** How this instance learns of other instances' events, on engines that can tell. */
  feed(): FeedStatus | undefined {
    return this.deps.engine.events.feedStatus?.();
  }
}
