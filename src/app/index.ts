import type { Logger } from 'pino';
import { Tokens } from '../auth/tokens';
import type { Config } from '../config';
import { PROJECTIONS } from '../projections';
import { ProjectionRunner } from '../projections/runner';
import type { Engine } from '../store/ports';
import { Accounts } from './accounts';
import { Blocking } from './blocking';
import { commandHandler } from './execute';
import { Messaging } from './messaging';
import { Operations } from './operations';

export type { ChatMessageRow, ConversationEntry, PrivateMessageRow, UserRow } from '../store/read-models';
export type { Authenticated, Principal } from './accounts';
export type { CommandContext } from './execute';
export type { CurrentMessage, Feed, FeedBatch, SentMessage, SyncAnswer } from './messaging';
export { SYNC_MAX } from './messaging';
/** The notices of the live feed and who sees each: one mapping for live delivery and resync. */
export { audienceOf, type Audience, type FeedNotice } from '../read-models';
export { READY_MAX_LAG } from './operations';
/** Store failures a client can act on (send again; send less): the edges map them to answers. */
export { CommitUnknownError, EventTooLargeError, StoreBusyError } from '../store/ports';
/** How many received private messages the inbox holds. */
export { INBOX_SIZE } from '../projections/messages';

/**
 * The application object: the one door of the HTTP and WebSocket edges, which call only its use
 * cases (accounts, messaging, operations), never the store or the projections.
 */
export interface Parley {
  config: Config;
  log: Logger;
  accounts: Accounts;
  blocking: Blocking;
  messaging: Messaging;
  operations: Operations;
  /** A limiter counted in the store, so that limits hold across instances (the HTTP edge's abuse limits). */
  createRateLimiter: Engine['createRateLimiter'];
}

/** The application object with what it runs on: for the composition root (src/server.ts), tools and tests. */
export interface RunningParley extends Parley {
  engine: Engine;
  projector: ProjectionRunner;
  tokens: Tokens;
}

/** Starts the projections on an open engine and resolves once they have caught up with the log. */
export async function startParley(config: Config, log: Logger, engine: Engine): Promise<RunningParley> {
  const projector = new ProjectionRunner(engine, PROJECTIONS, log);
  await projector.start();
  const tokens = new Tokens(config);
  const deps = { engine, projector, tokens, log, handle: commandHandler(engine.events, projector) };
  return {
    config,
    log,
    engine,
    projector,
    tokens,
    accounts: new Accounts(deps),
    blocking: new Blocking(deps),
    messaging: new Messaging(deps),
    operations: new Operations(deps),
    createRateLimiter: (options) => engine.createRateLimiter(options),
  };
}
