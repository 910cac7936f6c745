import 'dotenv/config';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './log';
import { startServer } from './server';

/** How long a graceful shutdown may take before the process exits anyway. */
const SHUTDOWN_TIMEOUT_MS = 10_000;

async function main(): Promise<void> {
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
  const log = createLogger(config.logLevel);
  if (config.secretKeyGenerated) {
    log.warn({ data_dir: config.dataDir }, 'SECRET_KEY is not set: using a key generated into DATA_DIR. Set SECRET_KEY in production.');
  }
  if (config.privacyKeyGenerated) {
    log.warn({ data_dir: config.dataDir }, 'PRIVACY_KEY is not set: personal data is encrypted under a key generated into '
      + 'DATA_DIR/privacy_key. Set PRIVACY_KEY in production and back it up apart from the data (docs/privacy.md).');
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
    started.then((server) => server.close()).then(() => process.exit(0), (error) => {
      log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  await started;
}

main().catch((error) => {
  console.error('parley: failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
