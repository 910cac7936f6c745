import type { Logger } from 'pino';
import { Tokens } from '../auth/tokens';
import type { Config } from '../config';
import { PROJECTIONS } from '../projections';
import { ProjectionRunner } from '../projections/runner';
import type { Engine } from '../store/ports';
import { Accounts } from './accounts';
import { Messaging } from './messaging';

export type { ChatMessageRow, PrivateMessageRow, UserRow } from '../store/read-models';
export type { Principal } from './accounts';
export type { SentMessage } from './messaging';

/** The running service, as the HTTP and WebSocket edges see it. */
export interface Parley {
  config: Config;
  log: Logger;
  engine: Engine;
  projector: ProjectionRunner;
  tokens: Tokens;
  accounts: Accounts;
  messaging: Messaging;
}

/** Starts the projections on an open engine and resolves once they have caught up with the log. */
export async function startParley(config: Config, log: Logger, engine: Engine): Promise<Parley> {
  const projector = new ProjectionRunner(engine, PROJECTIONS, log);
  await projector.start();
  const tokens = new Tokens(config);
  const deps = { engine, projector, tokens, log };
  return { config, log, engine, projector, tokens, accounts: new Accounts(deps), messaging: new Messaging(deps) };
}
