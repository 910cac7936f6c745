import { unlink } from 'node:fs/promises';
import Router, { type RouterMiddleware } from '@koa/router';
import type { TSchema } from '@sinclair/typebox';
import type { Context, Middleware, Next } from 'koa';
import { HttpMethodEnum, koaBody } from 'koa-body';
import type { Parley, Principal } from '../app';
import { bearerToken } from '../auth/tokens';
import { HttpError, toHttpError } from '../edge/errors';
import type { RateLimits } from './rate-limits';
import { bodyValidator, paramValidator, type Validator } from '../edge/validation';
import { DEFAULT_MAX_BODY_BYTES, MAX_BYTES, type Route } from './route';

const FORMIDABLE_MAX_FILES_EXCEEDED = 1015;

export const koaPath = (openApiPath: string): string => openApiPath.replace(/\{(\w+)\}/g, ':$1');

function requiredBearerToken(ctx: Context): string {
  const token = bearerToken(ctx.get('Authorization'));
  if (!token)
    throw new HttpError(401, 'not_authenticated', 'send an access token: Authorization: Bearer <token>', undefined, {
      'WWW-Authenticate': 'Bearer',
    });
  return token;
}

/** Resolves the caller for routes that need one; 401 with a Bearer challenge otherwise. */
export function authenticate(parley: Parley): Middleware {
  return async (ctx, next) => {
    try {
      ctx.state.principal = (await parley.accounts.authenticate(requiredBearerToken(ctx))) satisfies Principal;
    } catch (error) {
      const httpError = toHttpError(error);
      if (httpError.status === 401) httpError.headers['WWW-Authenticate'] = 'Bearer error="invalid_token"';
      throw httpError;
    }
    await next();
  };
}

function sizeText(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  return bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`;
}

/** Resolves true if the stream ends before it yields a byte (it is left paused otherwise). */
function endsEmpty(stream: NodeJS.ReadableStream): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (empty: boolean) => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onEnd);
      resolve(empty);
    };
    const onData = () => {
      stream.pause();
      done(false);
    };
    const onEnd = () => done(true);
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onEnd);
  });
}

/**
 * Whether the request carries no body at all: Content-Length 0, neither a length nor chunked
 * encoding, or (when its type would be refused) a chunked body that ends at once. A request
 * without a body means the same whatever its Content-Type says.
 */
async function carriesNoBody(ctx: Context, types: string[]): Promise<boolean> {
  if (ctx.get('Transfer-Encoding') === '') return ctx.request.length === undefined || ctx.request.length === 0;
  // A type the parser takes is read by it: an empty JSON or form body parses as {} anyway.
  if (ctx.get('Content-Type') !== '' && ctx.is(types)) return false;
  return endsEmpty(ctx.req);
}

/** Parses the body only in the content types the route declares: anything else is a 415. */
function bodyParser(route: Route): Middleware[] {
  const types = Object.keys(route.body ?? {});
  if (types.length === 0) return [];
  const maxBytes = route.body?.[MAX_BYTES] ?? DEFAULT_MAX_BODY_BYTES;
  const accepts: Middleware = async (ctx, next) => {
    if (ctx.get('Content-Type') === '') {
      throw new HttpError(415, 'unsupported_media_type', `send the body as ${types.join(' or ')}`);
    }
    if (!ctx.is(types)) throw new HttpError(415, 'unsupported_media_type', `this endpoint takes ${types.join(' or ')}`);
    // Bodies are read as UTF-8: another declared charset would be decoded wrongly, not refused.
    const charset = ctx.request.charset.toLowerCase();
    if (charset !== '' && charset !== 'utf-8' && charset !== 'utf8') {
      throw new HttpError(415, 'unsupported_media_type', 'send the body in UTF-8');
    }
    await next();
  };
  const parse: (ctx: Context, next: Next) => Promise<void> = koaBody({
    json: types.includes('application/json'),
    urlencoded: types.includes('application/x-www-form-urlencoded'),
    multipart: types.includes('multipart/form-data'),
    text: false,
    // Only POST, PUT and PATCH by default: DELETE /users/me carries the password in its body.
    parsedMethods: [HttpMethodEnum[route.method]],
    jsonStrict: true,
    jsonLimit: maxBytes,
    formLimit: maxBytes,
    formidable: {
      maxFiles: 1,
      maxFileSize: maxBytes,
      maxTotalFileSize: maxBytes,
      maxFields: 10,
      maxFieldsSize: DEFAULT_MAX_BODY_BYTES,
      allowEmptyFiles: false,
    },
    onError(error) {
      const e = error as Error & { status?: number; httpCode?: number };
      const status = e.status ?? e.httpCode ?? 400;
      // formidable reports "too many files" (its error code 1015) as 413; that is a malformed form, not a large one.
      if ((e as { code?: unknown }).code === FORMIDABLE_MAX_FILES_EXCEEDED)
        throw new HttpError(400, 'invalid_request', "send exactly one file, in the form field 'file'");
      if (status === 413) {
        throw new HttpError(
          413,
          'payload_too_large',
          `the body is larger than this endpoint takes (${sizeText(maxBytes)})`,
        );
      }
      throw new HttpError(
        400,
        'invalid_request',
        status === 400 && e.message ? `the body could not be parsed: ${e.message}` : 'the body could not be parsed',
      );
    },
  });
  const parseAny: Middleware = async (ctx, next): Promise<void> => {
    if (await carriesNoBody(ctx, types)) {
      ctx.state.noBody = true;
      return next();
    }
    return accepts(ctx, () => parse(ctx, next));
  };
  return [parseAny];
}

interface Validators {
  params?: Validator;
  query?: Validator;
  body: Partial<Record<string, Validator>>;
}

function compile(route: Route): Validators {
  const body: Validators['body'] = {};
  for (const [type, schema] of Object.entries(route.body ?? {}) as [string, TSchema | undefined][]) {
    if (type !== 'multipart/form-data' && schema) body[type] = bodyValidator(schema);
  }
  return {
    params: route.params && paramValidator(route.params, 'path'),
    query: route.query && paramValidator(route.query, 'query'),
    body,
  };
}

/**
 * A multipart form's files are the route's to check, but its field names meet the schema like any
 * body's: a field the form does not declare is refused, as additionalProperties: false says.
 */
function checkFormFields(form: TSchema, ctx: Context): void {
  const declared = new Set(Object.keys((form.properties ?? {}) as object));
  const fields = Object.keys((ctx.request.body ?? {}) as object);
  const given = [...fields, ...Object.keys(ctx.request.files ?? {})];
  const unknown = given.filter((name) => !declared.has(name));
  if (unknown.length === 0) return;
  const details = unknown.map((name) => ({ path: '/', message: `unknown field '${name}'` }));
  throw new HttpError(400, 'invalid_request', `body: / ${details[0].message}`, details);
}

async function removeUploads(ctx: Context): Promise<void> {
  for (const file of Object.values(ctx.request.files ?? {}).flat()) await unlink(file.filepath).catch(() => {});
}

/** Mounts the routes with their validation, and answers 405 for known paths with other methods. */
export function buildRouter(parley: Parley, routes: Route[], limits?: RateLimits): Router {
  const router = new Router();
  for (const route of routes) {
    const validators = compile(route);
    const form = route.body?.['multipart/form-data'];
    const handler: RouterMiddleware = async (ctx) => {
      try {
        const params = { ...ctx.params };
        const query = { ...ctx.query };
        validators.params?.(params);
        validators.query?.(query);
        let body: unknown;
        // A multipart form is checked by its field names here and its files by the route; any other body,
        // even an empty one under a multipart or other type, meets the schema. No body at all is an empty
        // one: nothing to change where that is allowed, the schema's 400 where not.
        if (form && !ctx.state.noBody && ctx.is('multipart/form-data')) checkFormFields(form, ctx);
        else if (route.body) {
          body = ctx.state.noBody ? {} : ctx.request.body;
          const validate = validators.body[ctx.request.type] ?? Object.values(validators.body)[0];
          validate?.(body);
        }
        if (route.noStore) ctx.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
        const input = { params, query, body, principal: ctx.state.principal, ctx, parley };
        const succeeded = route.rateLimits && limits ? await limits.enter(route.rateLimits, input) : null;
        const result = await route.handle(input);
        await succeeded?.();
        if (result) {
          ctx.status = result.status;
          if (result.body !== undefined) ctx.body = result.body;
        }
      } finally {
        await removeUploads(ctx);
      }
    };
    const chain = [...(route.auth ? [authenticate(parley)] : []), ...bodyParser(route), handler];
    router.register(koaPath(route.path), [route.method], chain);
  }
  return router;
}
