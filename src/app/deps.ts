import type { Logger } from 'pino';
import type { Tokens } from '../auth/tokens';
import type { ProjectionRunner } from '../projections/runner';
import type { Engine } from '../store/ports';
import type { Handle } from './execute';

/** What the use cases need from the running service. */
export interface AppDeps {
  engine: Engine;
  projector: ProjectionRunner;
  tokens: Tokens;
  log: Logger;
  /** Runs commands: the one door to the event store for writes (see execute.ts). */
  handle: Handle;
}
