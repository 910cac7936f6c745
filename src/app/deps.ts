import type { Logger } from 'pino';
import type { Tokens } from '../auth/tokens';
import type { ProjectionRunner } from '../projections/runner';
import type { Engine } from '../store/ports';

/** What the use cases need from the running service. */
export interface AppDeps {
  engine: Engine;
  projector: ProjectionRunner;
  tokens: Tokens;
  log: Logger;
}
