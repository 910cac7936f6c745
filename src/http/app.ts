import { randomUUID } from 'node:crypto';
import Koa, { type Middleware } from 'koa';
import type { Registry } from 'prom-client';
import type { Parley } from '../app';
import { createMetricsRegistry, httpMetrics } from '../metrics';
import { docsAssets } from './docs/page';
import { HttpError } from '../edge/errors';
import { errorMiddleware } from './errors';
import { messengerPage, pageRoutes } from './page';
import { RateLimits } from './rate-limits';
import { buildRouter } from './router';
import type { Route } from './route';
import { authRoutes } from './routes/auth';
import { blockRoutes } from './routes/blocks';
import { messengerRoutes } from './routes/messenger';
import { opsRoutes } from './routes/ops';
import { privacyRoutes } from './routes/privacy';
import { userRoutes } from './routes/users';
import { corsPolicy, securityHeaders } from './security';

// Block and privacy routes come first: /users/blocks and /users/me/export must win over /users/{username}.
export const API_ROUTES: Route[] = [...blockRoutes, ...privacyRoutes, ...userRoutes, ...authRoutes, ...messengerRoutes];

/**
 * Every route the server mounts: the API, the chat page, and health, readiness, metrics and docs
 * (which document them all).
 */
export function httpRoutes(metrics: Registry): Route[] {
  const ops = opsRoutes({ registry: metrics, documentedRoutes: () => routes });
  const routes: Route[] = [...API_ROUTES, ...pageRoutes, ...ops];
  return routes;
}

const REQUEST_ID = /^[\w.-]{1,64}$/;

/** A request id (the client's X-Request-Id if sane), and one log line per request — without the query string, which may hold a token. */
function requestLog(parley: Parley): Middleware {
  return async (ctx, next) => {
    const given = ctx.get('X-Request-Id');
    ctx.state.requestId = REQUEST_ID.test(given) ? given : randomUUID();
    ctx.set('X-Request-Id', ctx.state.requestId);
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      parley.log.info(
        {
          request_id: ctx.state.requestId,
          method: ctx.method,
          path: ctx.path,
          status: ctx.status,
          ms: Math.round(ms * 10) / 10,
        },
        'request',
      );
    }
  };
}

export interface HttpAppOptions {
  /** Extra routers or middleware mounted after the API and the chat page's files. */
  extra?: Middleware[];
  /** This server's metrics registry (GET /metrics); a fresh one when not given. */
  metrics?: Registry;
}

export function createHttpApp(parley: Parley, options: HttpAppOptions = {}): Koa {
  // X-Forwarded-For is believed only from as many proxies as configured: the address each limit counts.
  const koa = new Koa({ proxy: parley.config.trustProxy > 0, maxIpsCount: parley.config.trustProxy });
  const metrics = options.metrics ?? createMetricsRegistry();
  const limits = new RateLimits(parley.createRateLimiter, parley.config.rateLimits);
  const router = buildRouter(parley, httpRoutes(metrics), limits);
  koa.use(requestLog(parley));
  koa.use(httpMetrics(metrics));
  koa.use(securityHeaders);
  const cors = corsPolicy(parley.config.corsOrigins);
  if (cors) koa.use(cors);
  koa.use(errorMiddleware(parley.log));
  koa.use(docsAssets());
  koa.use(router.routes());
  koa.use(
    router.allowedMethods({
      throw: true,
      methodNotAllowed: () => new HttpError(405, 'method_not_allowed', 'this method is not allowed here'),
      // A method nothing here knows (PROPFIND, FOO) is the client's mistake, not a server fault: 405, not 501.
      notImplemented: () => new HttpError(405, 'method_not_allowed', 'this method is not supported'),
    }),
  );
  koa.use(messengerPage());
  for (const middleware of options.extra ?? []) koa.use(middleware);
  // Koa would otherwise log every error to stderr a second time.
  koa.silent = true;
  return koa;
}
