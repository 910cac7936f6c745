import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { startParley, type Parley } from './app';
import type { Config } from './config';
import { createHttpApp } from './http/app';
import { openEngine } from './store';
import type { Engine } from './store/ports';

export interface RunningServer {
  url: string;
  port: number;
  parley: Parley;
  /** Stops taking connections, finishes what is in flight, stops projections, closes the store. */
  close(): Promise<void>;
}

export interface ServerOptions {
  /** Use this engine instead of opening the configured one (tests). */
  engine?: Engine;
}

export async function startServer(config: Config, log: Logger, options: ServerOptions = {}): Promise<RunningServer> {
  const engine = options.engine ?? await openEngine(config);
  const parley = await startParley(config, log, engine);
  const koa = createHttpApp(parley);
  const server = http.createServer(koa.callback());
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info({ url, engine: engine.name }, 'parley is listening');

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await stopped;
      await parley.projector.stop();
      await engine.close();
    })();
    return closing;
  };
  return { url, port, parley, close };
}
