import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
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
    if (!ctx.response.get('Content-Security-Policy') && !ctx.response.is('html'))
      ctx.set('Content-Security-Policy', DATA_CSP);
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

/** Status, reason phrase, error code and message, by Node's error code. */
const CLIENT_ERRORS: Record<string, [number, string, string, string]> = {
  HPE_HEADER_OVERFLOW: [
    431,
    'Request Header Fields Too Large',
    'headers_too_large',
    'the request headers are too large',
  ],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'request_timeout', 'the request took too long to arrive'],
};
const NOT_HTTP: [number, string, string, string] = [
  400,
  'Bad Request',
  'invalid_request',
  'the request is not valid HTTP',
];

/**
 * Requests Node cannot even parse never reach Koa: answer them in the API's error shape, with the
 * same headers, instead of Node's bare 400.
 */
export function answerMalformedRequests(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const [status, reason, code, message] = CLIENT_ERRORS[error.code ?? ''] ?? NOT_HTTP;
    const body = JSON.stringify({ error: { code, message } });
    socket.end(
      [
        `HTTP/1.1 ${status} ${reason}`,
        'Content-Type: application/json; charset=utf-8',
        `Content-Length: ${Buffer.byteLength(body)}`,
        'X-Content-Type-Options: nosniff',
        `Content-Security-Policy: ${DATA_CSP}`,
        'Connection: close',
        '',
        body,
      ].join('\r\n'),
    );
  });
}
