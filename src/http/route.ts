import type { Static, TSchema } from '@sinclair/typebox';
import type { Context } from 'koa';
import type { Parley, Principal } from '../app';
import type { RateLimitSettings } from '../config';
import type { Schema } from '../edge/validation';

export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** The key of a route's body limit (a symbol, so that a BodySpec's string keys are its content types). */
export const MAX_BYTES: unique symbol = Symbol('maxBytes');

/** Bodies up to this size are taken when the route's body spec names no limit. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/** Content types a route's body may come in, each with the schema its parsed form must meet. */
export interface BodyContent {
  'application/json'?: TSchema;
  'application/x-www-form-urlencoded'?: TSchema;
  /** Multipart bodies: the schema describes the form for the docs; files are checked by the route. */
  'multipart/form-data'?: TSchema;
}

export type BodySpec<C extends BodyContent = BodyContent> = C & {
  /** The largest body taken, in bytes (for a multipart form: its file); DEFAULT_MAX_BODY_BYTES if not given. */
  [MAX_BYTES]?: number;
};

export interface ResponseSpec {
  description: string;
  schema?: Schema;
  /** Defaults to application/json. */
  contentType?: string;
}

/** What a handler is called with; params, query and body typed by the schemas that validated them. */
export interface RouteInput<P = Record<string, unknown>, Q = Record<string, unknown>, B = unknown> {
  params: P;
  query: Q;
  body: B;
  /** Set on routes with `auth: true`. */
  principal: Principal;
  ctx: Context;
  parley: Parley;
}

/** A limit a route counts its requests against. */
export interface RouteRateLimit<I = RouteInput> {
  limit: keyof RateLimitSettings;
  /** What is counted: the client's address, or a key taken from the validated request (e.g. the account). */
  key: 'ip' | { bivariant(input: I): string }['bivariant'];
  /**
   * What a successful request does to its count: `keep` it (every attempt counts), `refund` it (only
   * failures count), or `reset` the key altogether (a successful login clears the account's failures).
   */
  onSuccess: 'keep' | 'refund' | 'reset';
}

type Parsed<S> = S extends TSchema ? Static<S> : Record<string, never>;
/** The parsed body: one of the non-multipart content types' (multipart fields are read by the route). */
type BodyOf<C> = {
  [K in keyof C]-?: K extends 'multipart/form-data' ? undefined : C[K] extends TSchema ? Static<C[K]> : never;
}[keyof C];
type ParsedBody<C> = keyof C extends never ? undefined : BodyOf<C>;

/**
 * One endpoint, declared once: the router validates with these schemas, the OpenAPI document is
 * generated from them, and the handler's input is typed by them, so none of the three can drift.
 */
export interface Route<I = RouteInput> {
  method: Method;
  /** OpenAPI-style path: /users/{username}. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  auth: boolean;
  params?: TSchema;
  query?: TSchema;
  body?: BodySpec;
  responses: Record<number, ResponseSpec>;
  /** Abuse limits counted (after validation) before the handler runs; a used-up one answers 429. */
  rateLimits?: RouteRateLimit<I>[];
  /**
   * The answers carry tokens or personal data: `Cache-Control: no-store` and `Pragma: no-cache`
   * (RFC 6749 §5.1), so that no cache along the way keeps a copy.
   */
  noStore?: boolean;
  /** Returns the status and JSON body; or sets ctx itself and returns nothing (for bytes). */
  handle(input: I): Promise<{ status: number; body?: unknown } | void>;
}

type TypedRoute<P, Q, C extends BodyContent> = Omit<
  Route<RouteInput<Parsed<P>, Parsed<Q>, ParsedBody<C>>>,
  'params' | 'query' | 'body'
> & {
  params?: P;
  query?: Q;
  body?: BodySpec<C>;
};

/** Declares a route, inferring its handler's params, query and body types from its schemas. */
export function route<
  P extends TSchema | undefined = undefined,
  Q extends TSchema | undefined = undefined,
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- no body at all
  C extends BodyContent = {},
>(spec: TypedRoute<P, Q, C>): Route {
  // The router hands the handler exactly what the schemas validated: the typed route is that Route.
  return spec as unknown as Route;
}
