import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { HttpError, toHttpError, type ErrorBody } from '../edge/errors';

/** The single place where errors become responses. */
export function errorMiddleware(log: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined)
        throw new HttpError(404, 'not_found', `no route for ${ctx.method} ${ctx.path}`);
    } catch (error) {
      const httpError = toHttpError(error);
      if (httpError.status >= 500) log.error({ err: error, request_id: ctx.state.requestId }, 'request failed');
      ctx.status = httpError.status;
      ctx.set(httpError.headers);
      const body: ErrorBody = { error: { code: httpError.code, message: httpError.message } };
      if (httpError.details !== undefined) body.error.details = httpError.details;
      ctx.body = body;
    }
  };
}
