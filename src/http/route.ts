import type { Context } from 'koa';
import type { Parley, Principal } from '../app';
import type { RateLimitSettings } from '../config';
import type { Schema } from '../edge/validation';

/** A limit a route counts its requests against. */
export interface RouteRateLimit {
  limit: keyof RateLimitSettings;
  /** What is counted: the client's address, or a key taken from the validated request (e.g. the account). */
  key: 'ip' | ((input: RouteInput) => string);
  /**
   * What a successful request does to its count: `keep` it (every attempt counts), `refund` it (only
   * failures count), or `reset` the key altogether (a successful login clears the account's failures).
   */
  onSuccess: 'keep' | 'refund' | 'reset';
}

export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** Content types a route's body may come in, each with the schema its parsed form must meet. */
export interface BodySpec {
  'application/json'?: Schema;
  'application/x-www-form-urlencoded'?: Schema;
  /** Multipart bodies: the schema describes the form for the docs; files are checked by the route. */
  'multipart/form-data'?: Schema;
}

export interface ResponseSpec {
  description: string;
  schema?: Schema;
  /** Defaults to application/json. */
  contentType?: string;
}

export interface RouteInput {
  params: Record<string, unknown>;
  query: Record<string, unknown>;
  body: unknown;
  /** Set on routes with `auth: true`. */
  principal: Principal;
  ctx: Context;
  parley: Parley;
}

/**
 * One endpoint, declared once: the router validates with these schemas and the OpenAPI document is
 * generated from them, so the docs cannot drift from what is enforced.
 */
export interface Route {
  method: Method;
  /** OpenAPI-style path: /users/{username}. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  auth: boolean;
  params?: Schema;
  query?: Schema;
  body?: BodySpec;
  responses: Record<number, ResponseSpec>;
  /** Abuse limits counted (after validation) before the handler runs; a used-up one answers 429. */
  rateLimits?: RouteRateLimit[];
  /** Returns the status and JSON body; or sets ctx itself and returns nothing (for bytes). */
  handle(input: RouteInput): Promise<{ status: number; body?: unknown } | void>;
}

export const defineRoutes = (routes: Route[]): Route[] => routes;
