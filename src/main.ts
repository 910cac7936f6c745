import 'dotenv/config';
// Second, before anything queues work to libuv's pool: it sizes the pool (src/threadpool.ts).
import { MIN_THREADPOOL_SIZE, threadPool } from './threadpool';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config';
import { createLogger, resolveLogFormat } from './log';
import { startServer } from './server';
import { SERVER_USAGE } from './usage';
import { VERSION } from './version';

/** How long a graceful shutdown may take before the process exits anyway. */
const SHUTDOWN_TIMEOUT_MS = 10_000;

/** --help and --version answer and exit; anything else on the command line is a mistake (exit 2). */
function commandLine(argv: string[]): 'start' | 'done' {
  let flags;
  try {
    flags = parseArgs({
      args: argv,
      options: { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' } },
    }).values;
  } catch (error) {
    console.error(`parley: ${(error as Error).message}\n(try: node dist/main.js --help)`);
    process.exit(2);
  }
  if (flags.help) process.stdout.write(`${SERVER_USAGE}\n`);
  else if (flags.version) process.stdout.write(`${VERSION}\n`);
  return flags.help || flags.version ? 'done' : 'start';
}

async function main(): Promise<void> {
  if (commandLine(process.argv.slice(2)) === 'done') return;
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`parley: invalid configuration: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const log = createLogger(config.logLevel, undefined, resolveLogFormat(config.logFormat));
  if (threadPool.configured && !(threadPool.size >= MIN_THREADPOOL_SIZE)) {
    log.warn(
      { uv_threadpool_size: process.env.UV_THREADPOOL_SIZE, recommended: MIN_THREADPOOL_SIZE },
      'UV_THREADPOOL_SIZE leaves fewer than 4 threads beside password hashing: logins can delay appends',
    );
  }
  if (config.secretKeyGenerated) {
    log.warn(
      { data_dir: config.dataDir },
      'SECRET_KEY is not set: using a key generated into DATA_DIR. Set SECRET_KEY in production.',
    );
  }
  if (config.privacyKeyGenerated) {
    log.warn(
      { data_dir: config.dataDir },
      'PRIVACY_KEY is not set: personal data is encrypted under a key generated into ' +
        'DATA_DIR/privacy_key. Set PRIVACY_KEY in production and back it up apart from the data (docs/privacy.md).',
    );
  }
  // Signals are handled from the start: one that arrives while starting up waits for the start, then closes.
  const started = startServer(config, log);
  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    started
      .then((server) => server.close())
      .then(
        () => process.exit(0),
        (error) => {
          log.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  await started;
}

main().catch((error) => {
  console.error('parley: failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
