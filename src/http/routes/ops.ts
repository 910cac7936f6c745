import { createHash, timingSafeEqual } from 'node:crypto';
import type { Registry } from 'prom-client';
import { READY_MAX_LAG, type Parley } from '../../app';
import { bearerToken } from '../../auth/tokens';
import { exposition } from '../../metrics';
import { DOCS_CSP, DOCS_PAGE, DOCS_PATH } from '../docs/page';
import { HttpError } from '../../edge/errors';
import { buildOpenApi, type OpenApiDocument } from '../openapi';
import { Type } from '@sinclair/typebox';
import { errorResponse, literal, nullable, object } from '../../edge/schemas';
import { route, type Route } from '../route';

export { READY_MAX_LAG };
/** How long the store may take to answer a readiness check. */
const STORE_TIMEOUT_MS = 2000;

export interface OpsOptions {
  /** This server's metrics. */
  registry: Registry;
  /** Every route the server mounts, for the OpenAPI document (a getter: this list is part of it). */
  documentedRoutes: () => readonly Route[];
}

const projectionReport = object({
  name: Type.String(),
  position: Type.Integer({ description: 'last event applied' }),
  lag: nullable('integer', { description: 'events behind the head of the log (null when the store did not answer)' }),
  live: Type.Boolean({ description: 'caught up and following the log' }),
  stopped_at: nullable('integer', {
    description: 'while the projection is stopped on a failure: the log position it failed at',
  }),
  lease_holder: nullable('string', {
    description: 'the instance applying this projection (its lease holder), null while nobody holds it',
  }),
});

const readySchema = object({
  status: literal('ready'),
  head: Type.Integer({ description: 'position of the newest event in the log' }),
  projections: Type.Array(projectionReport),
  feed: Type.Optional(
    object({
      mode: Type.Union([literal('push'), literal('polling')], {
        description: "polling: the change stream is down; other instances' events arrive by polling",
      }),
      since: Type.Optional(Type.String({ format: 'date-time' })),
    }),
  ),
});

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Whether this instance can serve: the store answers, and every projection is live and close to the head. */
async function readiness(parley: Parley) {
  const reasons: string[] = [];
  let head: number | null = null;
  try {
    head = await withTimeout(parley.operations.head(), STORE_TIMEOUT_MS);
  } catch (error) {
    parley.log.warn({ err: error }, 'readiness: the event store does not answer');
    reasons.push(`the event store does not answer (${(error as Error).message})`);
  }
  const projections = parley.operations.projections().map((s) => ({
    name: s.name,
    position: s.position,
    lag: head === null ? null : Math.max(0, head - s.position),
    live: s.live,
    stopped_at: s.error?.position ?? null,
    lease_holder: s.lease.holder,
  }));
  for (const p of projections) {
    // The error itself may describe internals: it is in the log, not in this public answer.
    if (p.stopped_at !== null)
      reasons.push(
        `projection '${p.name}' is stopped: it failed at log position ${p.stopped_at} and retries (see the log)`,
      );
    else if (!p.live) reasons.push(`projection '${p.name}' is catching up with the log`);
    else if (p.lag !== null && p.lag > READY_MAX_LAG)
      reasons.push(`projection '${p.name}' is ${p.lag} events behind (more than ${READY_MAX_LAG})`);
  }
  // Reported, not a reason: polling still delivers every event, only later. The error stays in the log.
  const status = parley.operations.feed();
  const feed = status && { mode: status.mode, ...(status.since ? { since: status.since } : {}) };
  return { reasons, head, projections, ...(feed ? { feed } : {}) };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/** Compares digests, so neither the token's content nor its length leaks through timing. */
function checkMetricsToken(expected: string | null, authorization: string): void {
  if (expected === null) return;
  const given = bearerToken(authorization);
  if (given === undefined || !timingSafeEqual(sha256(given), sha256(expected))) {
    throw new HttpError(
      401,
      'not_authenticated',
      'send the metrics token: Authorization: Bearer <METRICS_TOKEN>',
      undefined,
      { 'WWW-Authenticate': 'Bearer realm="metrics"' },
    );
  }
}

/** Health, readiness, metrics and the API's documentation. */
export function opsRoutes(options: OpsOptions): Route[] {
  let document: OpenApiDocument | null = null;
  return [
    route({
      method: 'GET',
      path: '/healthz',
      operationId: 'health',
      tag: 'operations',
      auth: false,
      summary: 'Liveness: the process is up and serving HTTP',
      responses: { 200: { description: 'up', schema: object({ status: literal('ok') }) } },
      async handle() {
        return { status: 200, body: { status: 'ok' } };
      },
    }),
    route({
      method: 'GET',
      path: '/readyz',
      operationId: 'ready',
      tag: 'operations',
      auth: false,
      summary: 'Readiness: the event store answers and every projection is live and close to the head of the log',
      description:
        `Not ready (503) while a projection catches up, is stopped on an event, or trails the log by more than ${READY_MAX_LAG} events, ` +
        'or when the store does not answer. The reasons are in error.details.reasons.',
      responses: {
        200: { description: 'ready', schema: readySchema },
        503: errorResponse('not ready; details: {reasons, head, projections, feed?}'),
      },
      async handle({ parley }) {
        const { reasons, ...report } = await readiness(parley);
        if (reasons.length === 0) return { status: 200, body: { status: 'ready' as const, ...report } };
        // Returned, not thrown: a probe's answer is not a server error worth a log line each time.
        const error = { code: 'not_ready', message: reasons.join('; '), details: { reasons, ...report } };
        return { status: 503, body: { error } };
      },
    }),
    route({
      method: 'GET',
      path: '/metrics',
      operationId: 'metrics',
      tag: 'operations',
      auth: false,
      summary: 'Prometheus metrics, in the text exposition format',
      description:
        'HTTP request durations by route and status, WebSocket connections and frames, messages by kind, ' +
        'event append latency, projection lag, event-loop delay and process metrics. ' +
        'When METRICS_TOKEN is set, send it as a bearer token (the document then declares the metricsToken scheme here).',
      responses: {
        200: { description: 'the metrics', contentType: 'text/plain; version=0.0.4', schema: Type.String() },
        401: errorResponse('METRICS_TOKEN is set and was not sent'),
      },
      async handle({ parley, ctx }) {
        checkMetricsToken(parley.config.metricsToken, ctx.get('Authorization'));
        const { contentType, text } = await exposition(options.registry);
        ctx.set('Cache-Control', 'no-store');
        ctx.type = contentType;
        ctx.body = text;
      },
    }),
    route({
      method: 'GET',
      path: '/openapi.json',
      operationId: 'openapi',
      tag: 'documentation',
      auth: false,
      summary: 'This API, described in OpenAPI 3.1',
      responses: { 200: { description: 'the OpenAPI document', schema: Type.Unsafe<object>({ type: 'object' }) } },
      async handle({ parley }) {
        document ??= buildOpenApi(options.documentedRoutes(), {
          security: parley.config.metricsToken ? { metrics: 'metricsToken' } : {},
        });
        return { status: 200, body: document };
      },
    }),
    route({
      method: 'GET',
      path: DOCS_PATH,
      operationId: 'docs',
      tag: 'documentation',
      auth: false,
      summary: 'Interactive API documentation (Swagger UI): try every endpoint from the browser',
      responses: { 200: { description: 'an HTML page', contentType: 'text/html', schema: Type.String() } },
      async handle({ ctx }) {
        ctx.set('Content-Security-Policy', DOCS_CSP);
        ctx.type = 'text/html; charset=utf-8';
        ctx.body = DOCS_PAGE;
      },
    }),
  ];
}
