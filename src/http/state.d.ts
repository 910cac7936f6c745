import type { Principal } from '../app';

// What the middlewares put in ctx.state (Koa types it `any` unless declared).
declare module 'koa' {
  interface DefaultState {
    /** Set first, by the request log: the client's X-Request-Id if sane, a fresh UUID otherwise. */
    requestId: string;
    /** Set by authenticate(), which runs before every route with `auth: true`. */
    principal: Principal;
    /** The request carries no body at all (see carriesNoBody). */
    noBody?: boolean;
    /** The path template a non-router middleware answered, for the metrics' route label. */
    routeTemplate?: string;
  }
}
