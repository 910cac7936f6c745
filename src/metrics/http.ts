import type { Middleware } from 'koa';
import { Histogram, type Registry } from 'prom-client';

/** What a request that matched no route is labelled with: raw paths would make labels unbounded. */
export const UNMATCHED_ROUTE = 'unmatched';

/** Koa-style ':name' segments back into the OpenAPI template the route was declared with. */
const template = (koaPath: string): string => koaPath.replace(/:(\w+)/g, '{$1}');

/**
 * The route a request was served by, as a template (/users/{username}): @koa/router's matched
 * layer, or what a non-router middleware put in ctx.state.routeTemplate.
 */
function routeOf(ctx: Parameters<Middleware>[0]): string {
  const declared = ctx.state.routeTemplate;
  if (declared) return declared;
  const matched = (ctx as { _matchedRoute?: unknown })._matchedRoute;
  return typeof matched === 'string' ? template(matched) : UNMATCHED_ROUTE;
}

/** Times every request by method, route template and final status (mount it outside error mapping). */
export function httpMetrics(registry: Registry): Middleware {
  const duration = new Histogram({
    name: 'parley_http_request_duration_seconds',
    help: 'Time to handle an HTTP request, by method, route template and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  return async (ctx, next) => {
    const stop = duration.startTimer();
    try {
      await next();
    } finally {
      stop({ method: ctx.method, route: routeOf(ctx), status: String(ctx.status) });
    }
  };
}
