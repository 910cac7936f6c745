import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/log';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server';

export interface TestServer extends RunningServer {
  config: Config;
  dataDir: string;
  /** Stops the server and deletes its data directory. */
  stop(): Promise<void>;
}

/** A fresh temporary DATA_DIR. */
export function tempDataDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'parley-test-'));
}

export const TEST_SECRET = randomBytes(32).toString('hex');

/**
 * A real server on an ephemeral loopback port, on the embedded engine in a temporary DATA_DIR
 * (pass `dataDir` to reopen one, e.g. to test a restart). Logs go nowhere unless `logTo` is given (at env LOG_LEVEL).
 */
export async function startTestServer(
  env: Record<string, string> = {},
  options: ServerOptions & { keepData?: boolean; logTo?: Writable } = {},
): Promise<TestServer> {
  const dataDir = env.DATA_DIR ?? tempDataDir();
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    SECRET_KEY: TEST_SECRET,
    LOG_LEVEL: 'silent',
    ...env,
    DATA_DIR: dataDir,
  });
  const log = createLogger(config.logLevel, options.logTo);
  const server = await startServer(config, log, options);
  const url = `http://127.0.0.1:${server.port}`;
  return {
    ...server,
    url,
    config,
    dataDir,
    async stop() {
      await server.close();
      if (!options.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
