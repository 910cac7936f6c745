import type { ServerOptions } from '../../src/server';
import { client, registerAndLogin, type TestUser } from './http';
import { LogCapture } from './log-capture';
import { startTestServer, type TestServer } from './server';
import { NO_RATE_LIMITS } from './suite';

export interface FuzzTarget {
  readonly server: TestServer;
  readonly alice: TestUser;
  readonly bob: TestUser;
  /** What the server logged at level error: fuzzing must leave this empty. */
  readonly errors: LogCapture;
  /** Uncaught exceptions and unhandled rejections in this process while the describe ran. */
  readonly crashes: unknown[];
}

/**
 * A server to throw random input at, for the enclosing describe: started before its tests with users
 * alice and bob, its error log captured and this process's crashes collected, and stopped after.
 */
export function useFuzzTarget(options: ServerOptions = {}): FuzzTarget {
  const errors = new LogCapture();
  const crashes: unknown[] = [];
  const onCrash = (error: unknown) => {
    crashes.push(error);
  };
  let server: TestServer | undefined;
  let alice: TestUser | undefined;
  let bob: TestUser | undefined;
  before(async () => {
    process.on('uncaughtException', onCrash);
    process.on('unhandledRejection', onCrash);
    server = await startTestServer({ ...NO_RATE_LIMITS, LOG_LEVEL: 'error' }, { ...options, logTo: errors });
    const api = client(server.url);
    alice = await registerAndLogin(api, 'alice');
    bob = await registerAndLogin(api, 'bob');
  });
  after(async () => {
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
    await server?.stop();
  });
  return {
    get server() {
      return server!;
    },
    get alice() {
      return alice!;
    },
    get bob() {
      return bob!;
    },
    errors,
    crashes,
  };
}
