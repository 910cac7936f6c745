import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Route } from './route';
import {
  chatSchema,
  createdUserSchema,
  errorSchema,
  meSchema,
  pmSchema,
  publicUserSchema,
  tokenPairSchema,
} from '../edge/schemas';
import type { Schema } from '../edge/validation';

/**
 * The OpenAPI 3.1 document, generated from the very Route objects and schemas the router mounts
 * and validates with: what is documented is what is enforced. The schemas are used as they are
 * (OpenAPI 3.1 speaks JSON Schema); shared ones become named components.
 */

export type OpenApiDocument = Record<string, unknown> & { paths: Record<string, Record<string, Operation>> };
type Operation = Record<string, unknown>;

/** Shared schemas, found by identity in the routes, and the component name they are published under. */
const NAMED_SCHEMAS = new Map<Schema, string>([
  [errorSchema, 'Error'],
  [publicUserSchema, 'PublicUser'],
  [createdUserSchema, 'CreatedUser'],
  [meSchema, 'Me'],
  [tokenPairSchema, 'TokenPair'],
  [pmSchema, 'PrivateMessage'],
  [chatSchema, 'ChatMessage'],
]);

const ref = (name: string, kind = 'schemas') => ({ $ref: `#/components/${kind}/${name}` });

/** A copy of `schema` in which every shared schema (below the top, or at it) is a $ref. */
function publish(schema: unknown, top = true): unknown {
  if (Array.isArray(schema)) return schema.map((item) => publish(item, false));
  if (schema === null || typeof schema !== 'object') return schema;
  const name = NAMED_SCHEMAS.get(schema as Schema);
  if (name && !top) return ref(name);
  return Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, publish(value, false)]));
}

const schemaRef = (schema: Schema): unknown => publish(schema, false);

export const SECURITY_SCHEMES = {
  /** Paste an access token from POST /auth/login. */
  bearerAuth: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'An access token from POST /auth/login.',
  },
  /** The same tokens through the OAuth2 password flow, so /docs can log in with a username and password. */
  passwordLogin: {
    type: 'oauth2',
    description: 'Log in with a username and password; the access token it returns is sent as a bearer token.',
    flows: { password: { tokenUrl: '/auth/login', refreshUrl: '/auth/refresh', scopes: {} } },
  },
  /** The operator's token for GET /metrics, when METRICS_TOKEN is set (declared only then). */
  metricsToken: { type: 'http', scheme: 'bearer', description: 'The value of METRICS_TOKEN, when it is set.' },
} as const;

export type SecuritySchemeName = keyof typeof SECURITY_SCHEMES;

/** Either user scheme will do on routes with `auth: true`. */
const USER_SECURITY = [{ bearerAuth: [] }, { passwordLogin: [] }];

export interface OpenApiOptions {
  /** Security for routes that do not use the user's token but some other scheme (by operationId). */
  security?: Record<string, SecuritySchemeName>;
}

function parameters(route: Route): unknown[] {
  const from = (schema: Schema | undefined, where: 'path' | 'query') => {
    const properties = (schema?.properties ?? {}) as Record<string, Schema>;
    const required = new Set((schema?.required ?? []) as string[]);
    return Object.entries(properties).map(([name, property]) => ({
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(property.description ? { description: property.description } : {}),
      schema: schemaRef(property),
    }));
  };
  return [...from(route.params, 'path'), ...from(route.query, 'query')];
}

function requestBody(route: Route): unknown {
  const content = Object.entries(route.body ?? {}).filter(([, schema]) => schema);
  if (content.length === 0) return undefined;
  // The body may be left out only when no content type requires anything in it.
  const required = content.some(([, schema]) => ((schema as Schema).required as string[] | undefined)?.length);
  return {
    required,
    content: Object.fromEntries(content.map(([type, schema]) => [type, { schema: schemaRef(schema as Schema) }])),
  };
}

/**
 * Every operation can meet a request that is broken before it reaches the route (one Node cannot
 * parse as HTTP: 400; headers too large: 431): documented for operations that name no 4xx of their own.
 */
const MALFORMED_REQUEST = {
  description: 'a malformed request: not valid HTTP (400), headers too large (431)',
  content: { 'application/json': { schema: ref('Error') } },
};

const RETRY_AFTER = { description: 'seconds to wait before trying again', schema: { type: 'integer', minimum: 0 } };

function responses(route: Route): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [status, spec] of Object.entries(route.responses)) {
    if (spec.schema === errorSchema && !spec.contentType) {
      out[status] = { description: spec.description, content: { 'application/json': { schema: ref('Error') } } };
      continue;
    }
    const contentType = spec.contentType ?? (spec.schema ? 'application/json' : undefined);
    out[status] = {
      description: spec.description,
      ...(contentType ? { content: { [contentType]: spec.schema ? { schema: schemaRef(spec.schema) } : {} } } : {}),
    };
  }
  if (route.rateLimits?.length && !out['429']) {
    out['429'] = { description: 'too many attempts', content: { 'application/json': { schema: ref('Error') } } };
  }
  // Whoever declared it, a 429 comes with Retry-After (see rate-limits.ts).
  if (out['429']) (out['429'] as Record<string, unknown>).headers = { 'Retry-After': RETRY_AFTER };
  if (!Object.keys(out).some((status) => /^4(\d\d|XX)$/.test(status))) out['4XX'] = MALFORMED_REQUEST;
  out.default = ref('Error', 'responses');
  return out;
}

function operation(route: Route, options: OpenApiOptions): Operation {
  const other = options.security?.[route.operationId];
  const params = parameters(route);
  const body = requestBody(route);
  return {
    operationId: route.operationId,
    tags: [route.tag],
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(body ? { requestBody: body } : {}),
    responses: responses(route),
    // Public operations say so (security: []), rather than leave it to a reader to guess.
    security: route.auth ? USER_SECURITY : other ? [{ [other]: [] }] : [],
  };
}

function packageJson(): { version: string; license: string } {
  // The same relative path from src/http (tsx) and dist/http (node).
  const text = readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8');
  return JSON.parse(text) as { version: string; license: string };
}

/** What each tag's operations are about, for the document's readers. */
const TAG_DESCRIPTIONS: Record<string, string> = {
  users: 'Accounts: registration, profiles, settings, pictures and user search.',
  auth: 'Sessions: log in, trade a refresh token for a new pair, log out.',
  messenger:
    'Private messages and the general chat over REST, and the chat page ' +
    '(live chat runs over the WebSocket at /messenger/ws).',
  operations: 'Health, readiness and metrics, for operators and orchestrators.',
  documentation: 'This document and the interactive documentation built on it.',
};

export function buildOpenApi(routes: readonly Route[], options: OpenApiOptions = {}): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const route of routes) {
    const method = route.method.toLowerCase();
    paths[route.path] ??= {};
    if (paths[route.path][method]) throw new Error(`two routes for ${route.method} ${route.path}`);
    paths[route.path][method] = operation(route, options);
  }
  const tags = [...new Set(routes.map((r) => r.tag))].map((name) => ({
    name,
    ...(TAG_DESCRIPTIONS[name] ? { description: TAG_DESCRIPTIONS[name] } : {}),
  }));
  const pkg = packageJson();
  const used = new Set<SecuritySchemeName>(['bearerAuth', 'passwordLogin', ...Object.values(options.security ?? {})]);
  return {
    openapi: '3.1.0',
    info: {
      title: 'parley',
      version: pkg.version,
      license: { name: pkg.license, identifier: pkg.license },
      description:
        'An event-sourced messenger: accounts, private messages and a general chat. ' +
        'Authenticate with POST /auth/login (or the Authorize button), then send the access token as a bearer token. ' +
        'Every error has the same shape: {"error": {"code", "message", "details?"}}. ' +
        'Live chat runs over the WebSocket at /messenger/ws (see docs/websocket.md).',
    },
    // Relative: the API is served where this document is, whatever the host.
    servers: [{ url: '/', description: 'this server' }],
    tags,
    paths,
    components: {
      schemas: Object.fromEntries([...NAMED_SCHEMAS].map(([schema, name]) => [name, publish(schema)])),
      responses: {
        Error: {
          description: 'Any other error (e.g. 413, 415, 500), in the one error shape',
          content: { 'application/json': { schema: ref('Error') } },
        },
      },
      securitySchemes: Object.fromEntries(
        Object.entries(SECURITY_SCHEMES).filter(([name]) => used.has(name as SecuritySchemeName)),
      ),
    },
  };
}
