import { client, type Client } from './http';
import { startTestServer, type TestServer } from './server';

/** Functional tests of other features would trip the abuse limits; their own tests turn them on. */
export const NO_RATE_LIMITS: Record<string, string> = {
  RATE_LIMIT_LOGIN_ACCOUNT: '0',
  RATE_LIMIT_LOGIN_IP: '0',
  RATE_LIMIT_REGISTER_IP: '0',
  RATE_LIMIT_REFRESH_IP: '0',
  RATE_LIMIT_EXPORT_USER: '0',
};

export interface ServerFixture {
  readonly server: TestServer;
  readonly api: Client;
}

export interface ServerFixtureOptions {
  /** Keep the configured abuse limits (for the tests of those limits); off by default. */
  rateLimits?: boolean;
}

/** Starts a test server (rate limits off unless asked for) before the enclosing describe's tests and stops it after. */
export function useServer(
  env: Record<string, string> = {},
  { rateLimits = false }: ServerFixtureOptions = {},
): ServerFixture {
  let server: TestServer | undefined;
  let api: Client | undefined;
  before(async () => {
    server = await startTestServer(rateLimits ? env : { ...NO_RATE_LIMITS, ...env });
    api = client(server.url);
  });
  after(async () => {
    await server?.stop();
  });
  return {
    get server() {
      return server!;
    },
    get api() {
      return api!;
    },
  };
}
