import cors from '@koa/cors';
import type { Middleware } from 'koa';

/** The policy of every response that does not set its own: it is data, nothing in it may load or be framed. */
const DATA_CSP = "default-src 'none'; frame-ancestors 'none'";

/**
 * Headers for every response, errors and 404s included. Pages (the chat page, the API docs) set
 * their own Content-Security-Policy; everything else gets the strictest one.
 */
export const securityHeaders: Middleware = async (ctx, next) => {
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.set('X-Frame-Options', 'DENY');
  try {
    await next();
  } finally {
    if (!ctx.response.get('Content-Security-Policy') && !ctx.response.is('html')) ctx.set('Content-Security-Policy', DATA_CSP);
  }
};

/**
 * CORS for the configured origins only (CORS_ORIGINS); null when none are, so browsers keep the
 * same-origin rule. No credentials: the API takes bearer tokens, never cookies.
 */
export function corsPolicy(origins: readonly string[]): Middleware | null {
  if (origins.length === 0) return null;
  const allowed = new Set(origins);
  return cors({
    origin: (ctx) => (allowed.has(ctx.get('Origin')) ? ctx.get('Origin') : ''),
    allowMethods: ['GET', 'HEAD', 'POST', 'PATCH', 'PUT', 'DELETE'],
    allowHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
    exposeHeaders: ['Retry-After', 'X-Request-Id', 'WWW-Authenticate', 'ETag'],
    maxAge: 600,
    credentials: false,
  });
}
