import type { Logger } from 'pino';
import { Tokens } from '../auth/tokens';
import type { Config } from '../config';
import { PROJECTIONS } from '../projections';
import { ProjectionRunner } from '../projections/runner';
import { markLegacyLog, protectEngine } from '../privacy';
import type { Engine } from '../store/ports';
import { Accounts } from './accounts';
import { Blocking } from './blocking';
import { commandHandler } from './execute';
import { Messaging } from './messaging';
import { Operations } from './operations';
import { Privacy } from './privacy';

export type { ChatMessageRow, ConversationEntry, PrivateMessageRow, UserRow } from '../store/read-models';
export type { Authenticated, Principal } from './accounts';
export type { CommandContext } from './execute';
export type { Erased, UserData } from './privacy';
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
  /** Export and erasure of a user's data (docs/privacy.md). */
  privacy: Privacy;
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
export async function startParley(config: Config, log: Logger, opened: Engine): Promise<RunningParley> {
  // Deciders, projections and the feed see personal fields decrypted; the log holds them encrypted.
  const engine = protectEngine(opened, config.privacyKey);
  const legacyUntil = await markLegacyLog(engine);
  if (legacyUntil > 0) {
    log.warn(
      { legacy_until: legacyUntil },
      'the event log holds events written before personal data was encrypted: ' +
        'run `parley privacy migrate` (until then an erasure cannot be proven)',
    );
  }
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
    privacy: new Privacy(deps),
    createRateLimiter: (options) => engine.createRateLimiter(options),
  };
}
