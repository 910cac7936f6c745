import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { startParley, type RunningParley } from './app';
import type { Config } from './config';
import { createHttpApp } from './http/app';
import { answerMalformedRequests } from './http/security';
import { createMetricsRegistry, instrumentEngine, registerChatMetrics, registerProjectionMetrics } from './metrics';
import { isTransientStoreError } from './projections/transient';
import { openEngine } from './store';
import type { Engine } from './store/ports';
import { ChatServer, type ChatServerOptions } from './ws/chat-server';

export interface RunningServer {
  url: string;
  port: number;
  parley: RunningParley;
  /** The chat WebSocket at /messenger/ws; its stats() feed /metrics. */
  chat: ChatServer;
  /** Stops taking connections, finishes what is in flight, stops projections, closes the store. */
  close(): Promise<void>;
}

export interface ServerOptions {
  /** Use this engine instead of opening the configured one (tests). */
  engine?: Engine;
  /** Chat socket limits and timings other than the defaults (tests). */
  chat?: Partial<ChatServerOptions>;
}

/** Start-up attempts when the store is busy (another process on it is starting, or a tool is writing). */
const STARTUP_ATTEMPTS = 20;

/**
 * Opens the store and starts the application on it. Beside other processes on one store (a second
 * instance starting at the same moment, a rebuild) the store may be busy for a while: that is
 * retried with a short random pause, never fatal.
 */
async function openAndStart(config: Config, log: Logger, options: ServerOptions) {
  for (let attempt = 1; ; attempt++) {
    // Per server, not the global registry: several servers may run in one process (tests).
    const metrics = createMetricsRegistry();
    let engine: Engine | undefined;
    try {
      engine = instrumentEngine(options.engine ?? (await openEngine(config, log)), metrics);
      return { metrics, engine, parley: await startParley(config, log, engine) };
    } catch (error) {
      if (options.engine || attempt >= STARTUP_ATTEMPTS || !isTransientStoreError(error)) throw error;
      await engine?.close().catch(() => {});
      log.warn({ err: error, attempt }, 'the store was busy while starting; trying again');
      await sleep(100 + Math.random() * 200);
    }
  }
}

export async function startServer(config: Config, log: Logger, options: ServerOptions = {}): Promise<RunningServer> {
  const { metrics, engine, parley } = await openAndStart(config, log, options);
  registerProjectionMetrics(metrics, {
    head: () => engine.events.headPosition(),
    status: () => parley.projector.status(),
  });
  const koa = createHttpApp(parley, { metrics });
  const handle = koa.callback();
  // Koa's handler settles its promise itself: errors become responses and 'error' events.
  const server = http.createServer((req, res) => void handle(req, res));
  answerMalformedRequests(server);
  const chat = await ChatServer.attach(parley, server, {
    ratePerSecond: config.chatRate.perSecond,
    rateBurst: config.chatRate.burst,
    ...options.chat,
  });
  registerChatMetrics(metrics, () => chat.stats());
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
      // Chat sockets get a 1001 close, and frames being handled finish, while the store is still open.
      await chat.close();
      await stopped;
      await parley.projector.stop();
      await engine.close();
    })();
    return closing;
  };
  return { url, port, parley, chat, close };
}
